package client

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

func TestORASPullsWhatEopackPushed(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	e.write("data/B04.tif", realTIFF(t))
	e.write("data/item.json", []byte(stacItem))
	e.write("folder/a.txt", []byte("a"))
	e.write("folder/sub/b.txt", []byte("b"))
	ref := reg.Addr + "/eo/products:v1"
	e.eo("push", ref, "data/B04.tif:image/tiff", "data/item.json:application/geo+json", "folder")
	e.orasRun("pull", "--plain-http", ref, "-o", "out")
	e.sameFile("data/B04.tif", "out/data/B04.tif")
	e.sameFile("data/item.json", "out/data/item.json")
	e.sameFile("folder/a.txt", "out/folder/a.txt")
	e.sameFile("folder/sub/b.txt", "out/folder/sub/b.txt")
}

func TestEopackPullsWhatORASPushed(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	e.write("data/B04.tif", realTIFF(t))
	e.write("folder/a.txt", []byte("a"))
	e.write("folder/sub/b.txt", []byte("b"))
	ref := reg.Addr + "/eo/products:v1"
	e.orasRun("push", "--plain-http", ref, "data/B04.tif:image/tiff", "folder")
	out := e.eo("pull", ref, "-o", "out")
	e.sameFile("data/B04.tif", "out/data/B04.tif")
	e.sameFile("folder/a.txt", "out/folder/a.txt")
	e.sameFile("folder/sub/b.txt", "out/folder/sub/b.txt")
	if !strings.Contains(out, "Downloaded 2 blobs") {
		t.Fatalf("summary:\n%s", out)
	}
	// --format json gives ORAS's shape
	var res struct {
		Reference string
		Files     []struct{ Path, Digest string }
	}
	if err := json.Unmarshal([]byte(e.eo("pull", "--format", "json", ref, "-o", "out3")), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 2 || !strings.HasPrefix(res.Reference, reg.Addr+"/eo/products@sha256:") {
		t.Fatalf("json: %+v", res)
	}
}

func TestLayoutsInteroperate(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	e.write("data/B04.tif", realTIFF(t))
	// eopack writes, ORAS reads
	e.eo("push", "--oci-layout", "eolay:v1", "--export-manifest", "m.json", "data/B04.tif:image/tiff")
	if got := e.orasRun("manifest", "fetch", "--oci-layout", "eolay:v1"); got != string(e.read("m.json")) {
		t.Fatalf("oras manifest fetch --oci-layout differs from the pushed manifest:\n%s\n%s", got, e.read("m.json"))
	}
	e.orasRun("cp", "--from-oci-layout", "eolay:v1", "--to-plain-http", reg.Addr+"/eo/a:v1")
	e.orasRun("pull", "--oci-layout", "eolay:v1", "-o", "o1")
	e.sameFile("data/B04.tif", "o1/data/B04.tif")
	// ORAS writes, eopack reads
	e.orasRun("push", "--oci-layout", "oraslay:v1", "data/B04.tif:image/tiff")
	want := e.orasRun("manifest", "fetch", "--oci-layout", "oraslay:v1")
	if got := e.eo("manifest", "fetch", "--oci-layout", "oraslay:v1"); strings.TrimSpace(got) != strings.TrimSpace(want) {
		t.Fatalf("eopack manifest fetch --oci-layout differs:\n%s\n%s", got, want)
	}
	e.eo("pull", "--oci-layout", "oraslay:v1", "-o", "o2")
	e.sameFile("data/B04.tif", "o2/data/B04.tif")
	e.eo("cp", "--from-oci-layout", "oraslay:v1", "--to", reg.Addr+"/eo/b:v1")
	e.eo("pull", reg.Addr+"/eo/b:v1", "-o", "o3")
	e.sameFile("data/B04.tif", "o3/data/B04.tif")
	// a layout ORAS wrote for the seed's form (folder "x:eo/products", tag v1) is found by eopack too
	e.orasRun("push", "--oci-layout", "x:eo/products:v1", "data/B04.tif:image/tiff")
	if _, err := os.Stat(e.path("x:eo/products/oci-layout")); err != nil {
		t.Fatalf("ORAS's reading of the seed form changed: %v", err)
	}
	e.eo("pull", "--oci-layout", "x:eo/products:v1", "-o", "o4")
	e.sameFile("data/B04.tif", "o4/data/B04.tif")
}

func TestAttachDiscoverCopyReferrers(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	e.write("B04.tif", realTIFF(t))
	e.write("qa.json", []byte(`{"cloud_cover":3}`))
	ref := reg.Addr + "/eo/products:v1"
	e.eo("push", ref, "B04.tif:image/tiff")
	qa := digestLine(t, e.eo("attach", "--artifact-type", "application/vnd.eopack.qa.v1", ref, "qa.json:application/json"))
	out := e.eo("discover", ref)
	if !strings.Contains(out, "application/vnd.eopack.qa.v1") || !strings.Contains(out, qa) {
		t.Fatalf("discover:\n%s", out)
	}
	if out := e.orasRun("discover", "--plain-http", ref); !strings.Contains(out, qa) {
		t.Fatalf("oras discover misses eopack's referrer:\n%s", out)
	}
	var tree struct {
		Referrers []struct{ Digest, ArtifactType string }
	}
	if err := json.Unmarshal([]byte(e.eo("discover", "--format", "json", "--artifact-type", "application/vnd.other", ref)), &tree); err != nil || len(tree.Referrers) != 0 {
		t.Fatalf("--artifact-type filter: %+v %v", tree, err)
	}
	e.eo("cp", "-r", ref, "--to-oci-layout", "backup:v1")
	if out := e.eo("discover", "--oci-layout", "backup:v1"); !strings.Contains(out, qa) {
		t.Fatalf("cp -r left the referrer behind:\n%s", out)
	}
	e.eo("cp", ref, "--to-oci-layout", "plain:v1")
	if out := e.eo("discover", "--oci-layout", "plain:v1"); strings.Contains(out, qa) {
		t.Fatalf("cp without -r copied the referrer:\n%s", out)
	}
}
