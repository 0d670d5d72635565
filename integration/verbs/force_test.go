package verbs

import (
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// push --force and cp --force work as ORAS's (the artifact lands, same digest), and
// discover's deprecated -o prints what --format prints, as ORAS's does.
func TestForceAndDeprecatedOutput(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	src := reg.Host() + "/eo/force"
	e.write(t, "band.tif", randomBytes(t, 4096))
	e.must(t, eopack, "push", "--plain-http", "--force", "--reproducible", src+":v1", "band.tif:image/tiff")
	e.must(t, eopack, "push", "--plain-http", "--force", "--reproducible", src+":v1", "band.tif:image/tiff") // everything exists: traversed again
	e.must(t, oras, "attach", "--plain-http", "--artifact-type", "application/vnd.eopack.qa", src+":v1", "band.tif")
	want := e.must(t, oras, "resolve", "--plain-http", src+":v1")
	for _, bin := range []string{eopack, oras} {
		dst := reg.Host() + "/eo/forced-" + map[string]string{eopack: "eopack", oras: "oras"}[bin]
		e.must(t, bin, "cp", "--force", "--from-plain-http", "--to-plain-http", src+":v1", dst+":v1")
		e.must(t, bin, "cp", "--force", "--from-plain-http", "--to-plain-http", src+":v1", dst+":v1")
		if got := e.must(t, oras, "resolve", "--plain-http", dst+":v1"); got != want {
			t.Errorf("%s cp --force: %s, want %s", bin, got, want)
		}
	}
	for _, f := range []string{"json", "tree"} {
		got := e.must(t, eopack, "discover", "--plain-http", "-o", f, src+":v1")
		if viaFormat := e.must(t, eopack, "discover", "--plain-http", "--format", f, src+":v1"); got != viaFormat {
			t.Errorf("discover -o %s:\n%s\n--format %s:\n%s", f, got, f, viaFormat)
		}
		if f == "json" {
			if orasOut := e.must(t, oras, "discover", "--plain-http", "-o", f, src+":v1"); got != orasOut {
				t.Errorf("discover -o json:\n%s\noras:\n%s", got, orasOut)
			}
		}
	}
}
