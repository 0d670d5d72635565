package mirror

import (
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"36h":                       now.Add(-36 * time.Hour),
		"90m":                       now.Add(-90 * time.Minute),
		"7d":                        now.AddDate(0, 0, -7),
		"1d12h":                     now.Add(-36 * time.Hour),
		"0s":                        now,
		"2026-11-30":                time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		"2026-11-30T12:00:00":       time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
		"2026-11-30T12:00:00Z":      time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
		"2026-11-30T13:00:00+01:00": time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
	} {
		got, err := ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if got, err := ParseSince("", now); err != nil || !got.IsZero() {
		t.Errorf("ParseSince(\"\") = %v, %v", got, err)
	}
	for _, in := range []string{"yesterday", "-1h", "7days", "2026-13-01", "d", "1d2x"} {
		if got, err := ParseSince(in, now); err == nil {
			t.Errorf("ParseSince(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseAnnotations(t *testing.T) {
	got, err := ParseAnnotations([]string{"a=1", "b=x=y", "c=", "a=1"})
	if err != nil || len(got) != 3 || got["a"] != "1" || got["b"] != "x=y" || got["c"] != "" {
		t.Errorf("ParseAnnotations = %v, %v", got, err)
	}
	for _, bad := range [][]string{{"novalue"}, {"=v"}, {"a=1", "a=2"}} {
		if got, err := ParseAnnotations(bad); err == nil {
			t.Errorf("ParseAnnotations(%q) = %v, want an error", bad, got)
		}
	}
	if got, err := ParseAnnotations(nil); got != nil || err != nil {
		t.Errorf("ParseAnnotations(nil) = %v, %v", got, err)
	}
}

func TestParseTagPatterns(t *testing.T) {
	if _, err := ParseTagPatterns([]string{"v*", "release-[0-9]*", "latest"}); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "v[", "a\\"} {
		if _, err := ParseTagPatterns([]string{bad}); err == nil {
			t.Errorf("ParseTagPatterns(%q): want an error", bad)
		}
	}
}

func TestMatch(t *testing.T) {
	f := Filter{Tags: []string{"v*", "latest"}}
	for tag, want := range map[string]bool{"v1": true, "v1.2": true, "latest": true, "dev": false, "xv1": false} {
		if f.MatchTag(tag) != want {
			t.Errorf("MatchTag(%q) != %v", tag, want)
		}
	}
	if !(Filter{}).MatchTag("anything") {
		t.Error("the zero filter must match every tag")
	}
	manifest := func(artifactType, config, created string, ann map[string]string) []byte {
		s := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"`
		if artifactType != "" {
			s += `,"artifactType":"` + artifactType + `"`
		}
		s += `,"config":{"mediaType":"` + config + `","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}`
		all := map[string]string{}
		for k, v := range ann {
			all[k] = v
		}
		if created != "" {
			all["org.opencontainers.image.created"] = created
		}
		s += `,"annotations":{`
		first := true
		for k, v := range all {
			if !first {
				s += ","
			}
			first = false
			s += `"` + k + `":"` + v + `"`
		}
		return []byte(s + `}}`)
	}
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		f    Filter
		b    []byte
		want bool
	}{
		{"type from artifactType", Filter{ArtifactType: "application/x.a"}, manifest("application/x.a", "application/vnd.oci.empty.v1+json", "", nil), true},
		{"type from config", Filter{ArtifactType: "application/x.cfg"}, manifest("", "application/x.cfg", "", nil), true},
		{"other type", Filter{ArtifactType: "application/x.a"}, manifest("application/x.b", "application/x.a", "", nil), false},
		{"annotations all", Filter{Annotations: map[string]string{"k": "v", "m": "n"}}, manifest("", "c/d", "", map[string]string{"k": "v", "m": "n", "o": "p"}), true},
		{"annotation missing", Filter{Annotations: map[string]string{"k": "v", "m": "n"}}, manifest("", "c/d", "", map[string]string{"k": "v"}), false},
		{"annotation differs", Filter{Annotations: map[string]string{"k": "v"}}, manifest("", "c/d", "", map[string]string{"k": "w"}), false},
		{"since equal", Filter{Since: since}, manifest("", "c/d", "2026-11-01T00:00:00Z", nil), true},
		{"since after", Filter{Since: since}, manifest("", "c/d", "2026-11-20T10:11:12.5+02:00", nil), true},
		{"since before", Filter{Since: since}, manifest("", "c/d", "2026-10-31T23:59:59Z", nil), false},
		{"since without created", Filter{Since: since}, manifest("", "c/d", "", nil), false},
		{"since bad created", Filter{Since: since}, manifest("", "c/d", "last week", nil), false},
		{"no manifest filter", Filter{}, []byte("not json"), true},
	} {
		got, err := c.f.MatchManifest(c.b)
		if err != nil || got != c.want {
			t.Errorf("%s: MatchManifest = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := (Filter{ArtifactType: "a/b"}).MatchManifest([]byte("{")); err == nil {
		t.Error("a broken manifest must be an error")
	}
}
