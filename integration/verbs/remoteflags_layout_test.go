package verbs

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// --distribution-spec v1.1-referrers-tag makes attach keep the referrers in the tag schema
// index (sha256-<digest>) even on a registry with the referrers API (eopack serve), and
// discover read them there; v1.1-referrers-api reads the API only, and fails where there is
// none (distribution), as ORAS does.
func TestDistributionSpec(t *testing.T) {
	eopack, oras := peers(t)
	e := newEnv(t)
	reg := testpeer.StartServe(t, "")
	e.write(t, "B04.tif", randomBytes(t, 20_000))
	e.write(t, "qa.json", []byte(`{"cloud_cover": 3}`))
	tagSpec := []string{"--plain-http", "--distribution-spec", "v1.1-referrers-tag"}
	apiSpec := []string{"--plain-http", "--distribution-spec", "v1.1-referrers-api"}
	discover := func(bin, ref string, spec []string) string {
		return e.must(t, bin, append([]string{"discover", "--format", "json", ref}, spec...)...)
	}

	for _, bin := range []string{eopack, oras} {
		repo := reg.Addr + "/eo/" + binName(bin)
		e.must(t, oras, "push", "--plain-http", repo+":v1", "B04.tif")
		root := strings.TrimSpace(e.must(t, oras, "resolve", "--plain-http", repo+":v1"))
		e.must(t, bin, append([]string{"attach", "--artifact-type", "application/vnd.eopack.qa.v1", repo + ":v1", "qa.json"}, tagSpec...)...)
		tags := e.must(t, oras, "repo", "tags", "--plain-http", repo)
		if want := "sha256-" + strings.TrimPrefix(root, "sha256:"); !strings.Contains(tags, want) {
			t.Errorf("%s attach %v: no referrers tag %s in %q", binName(bin), tagSpec, want, tags)
		}
		for _, lister := range []string{eopack, oras} {
			if out := discover(lister, repo+":v1", tagSpec); !strings.Contains(out, "application/vnd.eopack.qa.v1") {
				t.Errorf("%s discover %v after %s attach: %s", binName(lister), tagSpec, binName(bin), out)
			}
			// the registry indexes every manifest with a subject: its API lists the referrer too
			if out := discover(lister, repo+":v1", apiSpec); !strings.Contains(out, "application/vnd.eopack.qa.v1") {
				t.Errorf("%s discover %v: %s", binName(lister), apiSpec, out)
			}
		}
	}

	dist := testpeer.StartDistribution(t)
	e.must(t, oras, "push", "--plain-http", dist.Addr+"/eo/d:v1", "B04.tif")
	bothFail(t, e, eopack, oras, append([]string{"discover", dist.Addr + "/eo/d:v1"}, apiSpec...), "failed to query referrers API: unsupported")
	bothFail(t, e, eopack, oras, []string{"discover", "--distribution-spec", "v1.0", dist.Addr + "/eo/d:v1"}, "unknown distribution specification flag: v1.0")
}

// --oci-layout-path names the layout folder, so the argument is just the tag or digest,
// whatever characters it holds ("example.com:v1"), as ORAS reads it.
func TestOCILayoutPath(t *testing.T) {
	eopack, oras := peers(t)
	e := newEnv(t)
	e.write(t, "B04.tif", randomBytes(t, 20_000))
	e.must(t, oras, "push", "--oci-layout-path", "by-oras", "example.com:v1", "B04.tif")

	digest := both(t, e, eopack, oras, "resolve", "--oci-layout-path", "by-oras", "example.com:v1")
	both(t, e, eopack, oras, "manifest", "fetch", "--oci-layout-path", "by-oras", strings.TrimSpace(digest))
	out := e.must(t, eopack, "pull", "--no-tty", "--oci-layout-path", "by-oras", "example.com:v1", "-o", "pulled")
	if !strings.Contains(out, "Pulled [oci-layout] example.com:v1\n") {
		t.Errorf("eopack pull printed %q", out)
	}
	testpeer.SameFile(t, filepath.Join(e.dir, "B04.tif"), filepath.Join(e.dir, "pulled", "B04.tif"))

	e.must(t, eopack, "cp", "--from-oci-layout-path", "by-oras", "example.com:v1", "--to-oci-layout-path", "by-eopack", "v1,v2")
	e.must(t, eopack, "push", "--oci-layout-path", "by-eopack", "example.com:v3", "B04.tif")
	both(t, e, eopack, oras, "repo", "tags", "--oci-layout", "by-eopack")
	both(t, e, eopack, oras, "resolve", "--oci-layout-path", "by-eopack", "example.com:v3")
	bothFail(t, e, eopack, oras, []string{"resolve", "--oci-layout", "--oci-layout-path", "by-oras", "v1"},
		"--oci-layout-path, --oci-layout cannot be used at the same time")
	bothFail(t, e, eopack, oras, []string{"cp", "--from-oci-layout", "--from-oci-layout-path", "by-oras", "v1", "--to-oci-layout", "x:v1"},
		"--from-oci-layout-path, --from-oci-layout cannot be used at the same time")
}
