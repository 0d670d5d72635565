package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// The seed article's workflow with the pinned ORAS CLI, `docker run registry:2` replaced by
// `eopack serve`: push to a layout, cp the layout to the registry, pull back byte-identical;
// a repository copied out of the registry into a layout reads back the same.
func TestOrasSeedWorkflow(t *testing.T) {
	srv := testpeer.StartServe(t, "")
	oras := testpeer.Bin(t, "oras")
	e := newEnv(t)
	randomFile(t, e.dir, "data/imagery.tif", 3<<20)
	os.WriteFile(filepath.Join(e.dir, "data/stac_item.json"), []byte(`{"type":"Feature","id":"olinda"}`), 0o644)
	os.WriteFile(filepath.Join(e.dir, "data/config.json"), []byte("{}\n"), 0o644)
	e.must(t, oras, "push", "--oci-layout", "eo-layout:eo/products:v1",
		"--artifact-type", "application/vnd.my-earth-observation-product.v1",
		"data/imagery.tif:image/tiff", "data/stac_item.json:application/geo+json",
		"data/config.json:application/vnd.oci.artifact.config.v1+json")
	ref := srv.Host() + "/eo/products:v1"
	// ORAS 1.3 spells the seed's `--to` as a positional target
	e.must(t, oras, "cp", "--from-oci-layout", "eo-layout:eo/products:v1", "--to-plain-http", ref)
	e.must(t, oras, "pull", "--plain-http", ref, "--output", "retrieved")
	for _, f := range []string{"imagery.tif", "stac_item.json", "config.json"} {
		testpeer.SameFile(t, filepath.Join(e.dir, "data", f), filepath.Join(e.dir, "retrieved", "data", f))
	}
	// the manifest is byte-identical between the layout and the registry
	local := e.must(t, oras, "manifest", "fetch", "--oci-layout", "eo-layout:eo/products:v1")
	remote := e.must(t, oras, "manifest", "fetch", "--plain-http", ref)
	if local != remote {
		t.Fatalf("manifest differs:\nlayout   %s\nregistry %s", local, remote)
	}
	if out := e.must(t, oras, "repo", "ls", "--plain-http", srv.Host()); strings.TrimSpace(out) != "eo/products" {
		t.Fatalf("oras repo ls: %q", out)
	}
	// a repository is taken out as a layout with cp
	e.must(t, oras, "cp", "--from-plain-http", ref, "--to-oci-layout", "copied:v1")
	if out := e.must(t, oras, "repo", "tags", "--oci-layout", "copied"); strings.TrimSpace(out) != "v1" {
		t.Fatalf("oras repo tags on the copied layout: %q", out)
	}
	e.must(t, oras, "pull", "--oci-layout", "copied:v1", "--output", "from-layout")
	testpeer.SameFile(t, filepath.Join(e.dir, "data/imagery.tif"), filepath.Join(e.dir, "from-layout/data/imagery.tif"))
	// imagery, STAC item, config (and the empty JSON blob ORAS writes); manifests live in
	// the database
	if n := verifyBlobs(t, srv.Root); n < 3 {
		t.Fatalf("%d blob files in the storage, want at least 3", n)
	}
}

// The same workflow with eopack's own client against eopack serve.
func TestEopackSeedWorkflow(t *testing.T) {
	srv := testpeer.StartServe(t, "")
	eo := testpeer.Eopack(t)
	e := newEnv(t)
	randomFile(t, e.dir, "data/imagery.tif", 2<<20)
	os.WriteFile(filepath.Join(e.dir, "data/stac_item.json"), []byte(`{"type":"Feature","id":"olinda"}`), 0o644)
	e.must(t, eo, "push", "--oci-layout", "eo-layout:eo/products:v1",
		"--artifact-type", "application/vnd.my-earth-observation-product.v1",
		"data/imagery.tif:image/tiff", "data/stac_item.json:application/geo+json")
	ref := srv.Host() + "/eo/products:v1"
	e.must(t, eo, "cp", "--from-oci-layout", "eo-layout:eo/products:v1", "--to-plain-http", "--to", ref)
	e.must(t, eo, "pull", "--plain-http", ref, "--output", "retrieved")
	for _, f := range []string{"imagery.tif", "stac_item.json"} {
		testpeer.SameFile(t, filepath.Join(e.dir, "data", f), filepath.Join(e.dir, "retrieved", "data", f))
	}
	// eopack takes the repository out as a layout and reads it
	e.must(t, eo, "cp", "--from-plain-http", ref, "--to-oci-layout", "copied:v1")
	e.must(t, eo, "pull", "--oci-layout", "copied:v1", "--output", "from-layout")
	testpeer.SameFile(t, filepath.Join(e.dir, "data/imagery.tif"), filepath.Join(e.dir, "from-layout/data/imagery.tif"))
	// and ORAS reads what eopack pushed to eopack serve
	e.must(t, testpeer.Bin(t, "oras"), "pull", "--plain-http", ref, "--output", "by-oras")
	testpeer.SameFile(t, filepath.Join(e.dir, "data/imagery.tif"), filepath.Join(e.dir, "by-oras/data/imagery.tif"))
}

// crane (go-containerregistry) and regctl (regclient) push to and pull from eopack serve.
func TestCraneAndRegctl(t *testing.T) {
	srv := testpeer.StartServe(t, "")
	e := newEnv(t)
	crane, regctl := testpeer.Bin(t, "crane"), testpeer.Bin(t, "regctl")

	randomFile(t, e.dir, "layer/band.bin", 1<<20)
	e.must(t, "tar", "-C", filepath.Join(e.dir, "layer"), "-cf", filepath.Join(e.dir, "layer.tar"), "band.bin")
	img := srv.Host() + "/crane/img:v1"
	e.must(t, crane, "append", "--insecure", "-f", "layer.tar", "-t", img)
	e.must(t, crane, "export", "--insecure", img, "export.tar")
	os.MkdirAll(filepath.Join(e.dir, "x"), 0o755)
	e.must(t, "tar", "-C", filepath.Join(e.dir, "x"), "-xf", filepath.Join(e.dir, "export.tar"))
	testpeer.SameFile(t, filepath.Join(e.dir, "layer/band.bin"), filepath.Join(e.dir, "x/band.bin"))
	e.must(t, crane, "copy", "--insecure", img, srv.Host()+"/crane/copy:v2")
	if d1, d2 := e.must(t, crane, "digest", "--insecure", img), e.must(t, crane, "digest", "--insecure", srv.Host()+"/crane/copy:v2"); d1 != d2 {
		t.Fatalf("crane copy changed the digest: %s %s", d1, d2)
	}

	e.must(t, regctl, "registry", "set", "--tls", "disabled", srv.Host())
	art := srv.Host() + "/regctl/art:v1"
	e.must(t, regctl, "artifact", "put", "--artifact-type", "application/vnd.test.band", "-f", "layer/band.bin", art)
	got := e.must(t, regctl, "artifact", "get", art)
	want, _ := os.ReadFile(filepath.Join(e.dir, "layer/band.bin"))
	if got != string(want) {
		t.Fatalf("regctl artifact get: %d bytes, want %d", len(got), len(want))
	}
	// a referrer pushed by regctl is listed by the referrers API
	e.must(t, regctl, "artifact", "put", "--artifact-type", "application/vnd.test.sig", "--subject", art, "-f", "layer/band.bin")
	if out := e.must(t, regctl, "artifact", "list", art, "--format", "{{len .Descriptors}}"); strings.TrimSpace(out) != "1" {
		t.Fatalf("regctl artifact list: %q", out)
	}
	if out := e.must(t, regctl, "tag", "ls", srv.Host()+"/regctl/art"); strings.TrimSpace(out) != "v1" {
		t.Fatalf("regctl tag ls: %q", out)
	}
}
