package mirror

import (
	"testing"

	"github.com/eopack/eopack/target"
)

func TestMap(t *testing.T) {
	for _, c := range []struct{ srcPrefix, repo, dstPrefix, want string }{
		{"ns", "ns/a/b", "prefix", "prefix/a/b"},
		{"ns", "ns", "prefix", "prefix"},
		{"ns", "ns/a", "p/q", "p/q/a"},
		{"", "eo/s2", "mirror", "mirror/eo/s2"},
		{"", "eo/s2", "", "eo/s2"},       // bare destination host keeps the whole path
		{"ns", "ns/a/b", "", "ns/a/b"},   // … also below a prefix
		{"ns/a", "ns/a", "", "ns/a"},     // one repository to a bare host
		{"", "", "dst/repo", "dst/repo"}, // a layout's bare tags go to the destination repository
	} {
		got, err := Map(c.srcPrefix, c.repo, c.dstPrefix)
		if err != nil || got != c.want {
			t.Errorf("Map(%q, %q, %q) = %q, %v; want %q", c.srcPrefix, c.repo, c.dstPrefix, got, err, c.want)
		}
	}
	for _, c := range []struct{ srcPrefix, repo, dstPrefix string }{
		{"ns", "nsx/a", "p"}, // not under the prefix: "ns" is a path prefix, not a string prefix
		{"ns", "other", "p"},
		{"", "", ""}, // nowhere to go
	} {
		if got, err := Map(c.srcPrefix, c.repo, c.dstPrefix); err == nil {
			t.Errorf("Map(%q, %q, %q) = %q, want an error", c.srcPrefix, c.repo, c.dstPrefix, got)
		}
	}
}

func TestUnder(t *testing.T) {
	for _, c := range []struct {
		prefix, repo string
		want         bool
	}{
		{"", "a", true}, {"ns", "ns", true}, {"ns", "ns/a/b", true},
		{"ns", "nsx", false}, {"ns", "ns-a", false}, {"ns/a", "ns", false},
	} {
		if got := Under(c.prefix, c.repo); got != c.want {
			t.Errorf("Under(%q, %q) = %v", c.prefix, c.repo, got)
		}
	}
}

func TestParseSide(t *testing.T) {
	for _, c := range []struct {
		in     string
		layout bool
		want   target.Ref
	}{
		{"localhost:5000", false, target.Ref{Registry: "localhost:5000"}},
		{"localhost:5000/", false, target.Ref{Registry: "localhost:5000"}},
		{"localhost:5000/eo", false, target.Ref{Registry: "localhost:5000", Repository: "eo"}},
		{"registry.example/eo/s2/l2a", false, target.Ref{Registry: "registry.example", Repository: "eo/s2/l2a"}},
		{"dir:with:colons", true, target.Ref{Layout: true, Path: "dir:with:colons"}},
	} {
		got, err := ParseSide(c.in, c.layout)
		if err != nil || got != c.want {
			t.Errorf("ParseSide(%q, %v) = %+v, %v; want %+v", c.in, c.layout, got, err, c.want)
		}
	}
	for _, in := range []string{"", "/eo", "localhost:5000/eo:v1", "localhost:5000/eo@sha256:abc", "localhost:5000/EO", "localhost:5000/a//b"} {
		if got, err := ParseSide(in, false); err == nil {
			t.Errorf("ParseSide(%q) = %+v, want an error", in, got)
		}
	}
}

func TestSplitLayoutTag(t *testing.T) {
	for in, want := range map[string][2]string{
		"v1": {"", "v1"}, "eo/s2:v1": {"eo/s2", "v1"}, "a:b:c": {"a:b", "c"},
	} {
		if r, tag := splitLayoutTag(in); r != want[0] || tag != want[1] {
			t.Errorf("splitLayoutTag(%q) = %q, %q", in, r, tag)
		}
		if want[0] != "a:b" && layoutTag(want[0], want[1]) != in {
			t.Errorf("layoutTag(%q, %q) = %q", want[0], want[1], layoutTag(want[0], want[1]))
		}
	}
}
