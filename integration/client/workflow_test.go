package client

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// The seed's workflow, verbatim with eopack in place of oras (only the registry port differs).
const seedScript = `mkdir -p data; cp my-imagery.tif data/imagery.tif; cp my-stac.json data/stac_item.json; echo '{}' > data/config.json
eopack push --oci-layout eo-layout:eo/products:v1 \
  --artifact-type application/vnd.my-earth-observation-product.v1 \
  data/imagery.tif:image/tiff data/stac_item.json:application/geo+json \
  data/config.json:application/vnd.oci.artifact.config.v1+json
eopack cp --from-oci-layout eo-layout:eo/products:v1 --to localhost:5000/eo/products:v1
eopack pull localhost:5000/eo/products:v1 --output ./retrieved
`

func TestSeedWorkflowVerbatim(t *testing.T) {
	seedWorkflow(t, testpeer.StartDistribution(t))
}

// The same against eopack's own registry (eopack serve).
func TestSeedWorkflowAgainstServe(t *testing.T) {
	seedWorkflow(t, testpeer.StartServe(t, ""))
}

func seedWorkflow(t *testing.T, reg *testpeer.Server) {
	e := newEnv(t)
	e.write("my-imagery.tif", realTIFF(t))
	e.write("my-stac.json", []byte(stacItem))
	port := reg.Addr[strings.LastIndex(reg.Addr, ":")+1:]
	out := e.sh(strings.ReplaceAll(seedScript, "localhost:5000", "localhost:"+port))
	for _, f := range []string{"imagery.tif", "stac_item.json", "config.json"} {
		e.sameFile("data/"+f, "retrieved/data/"+f)
	}
	if !strings.Contains(out, "Pulled [registry] localhost:"+port+"/eo/products:v1") {
		t.Fatalf("pull output lacks ORAS's Pulled line:\n%s", out)
	}
	// the layout holds the seed's reference as the tag's ref.name
	if idx := string(e.read("eo-layout/index.json")); !strings.Contains(idx, `"org.opencontainers.image.ref.name":"eo/products:v1"`) {
		t.Fatalf("index.json: %s", idx)
	}
	// ORAS reads the same layout (seed form through --oci-layout-path) and the registry copy
	m1 := e.orasRun("manifest", "fetch", "--oci-layout-path", "eo-layout", "eo/products:v1")
	m2 := e.orasRun("manifest", "fetch", "localhost:"+port+"/eo/products:v1")
	if m1 != m2 {
		t.Fatalf("manifest differs between layout and registry:\n%s\n%s", m1, m2)
	}
}

// The same workflow with ORAS's own argument forms: layout "dir:tag", cp SRC DST, -o.
func TestWorkflowORASForms(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	e.write("data/imagery.tif", realTIFF(t))
	e.write("data/stac_item.json", []byte(stacItem))
	ref := reg.Addr + "/eo/products:v1"
	out := e.eo("push", "--oci-layout", "layout-dir:v1", "--artifact-type", "application/vnd.eopack.eo.product.v1",
		"data/imagery.tif:image/tiff", "data/stac_item.json:application/geo+json")
	d := digestLine(t, out)
	out = e.eo("cp", "--from-oci-layout", "layout-dir:v1", ref+",latest")
	if digestLine(t, out) != d || !strings.Contains(out, "Tagged latest") {
		t.Fatalf("cp changed the digest or missed the extra tag:\n%s", out)
	}
	e.eo("pull", "-o", "out", reg.Addr+"/eo/products:latest")
	e.sameFile("data/imagery.tif", "out/data/imagery.tif")
	e.sameFile("data/stac_item.json", "out/data/stac_item.json")
	// registry → layout → files
	e.eo("cp", ref, "--to-oci-layout", "back:v1")
	e.eo("pull", "--oci-layout", "back:v1", "-o", "out2")
	e.sameFile("data/imagery.tif", "out2/data/imagery.tif")
}

func TestRepushSendsNoBlobBytes(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	e.write("b04.tif", realTIFF(t))
	ref := reg.Addr + "/eo/dedup:v1"
	out := e.eo("push", ref, "b04.tif:image/tiff")
	if !strings.Contains(out, fmt.Sprintf("Pushed 2 blobs (%d bytes)", len(realTIFF(t))+2)) {
		t.Fatalf("first push summary:\n%s", out)
	}
	out = e.eo("push", ref, "b04.tif:image/tiff")
	if !strings.Contains(out, "Pushed 0 blobs (0 bytes), skipped 2 existing") {
		t.Fatalf("re-push summary:\n%s", out)
	}
	// pulling again into the same folder downloads nothing
	e.eo("pull", ref, "-o", "out")
	out = e.eo("pull", ref, "-o", "out")
	if !strings.Contains(out, "Downloaded 0 blobs (0 bytes), skipped 1 existing") {
		t.Fatalf("re-pull summary:\n%s", out)
	}
	// --keep-old-files refuses to replace a changed file
	e.write("out/b04.tif", []byte("local edit"))
	e.eoFail("pull", "--keep-old-files", ref, "-o", "out")
	if string(e.read("out/b04.tif")) != "local edit" {
		t.Fatal("--keep-old-files replaced the file")
	}
	e.eo("pull", ref, "-o", "out")
	e.sameFile("b04.tif", "out/b04.tif")
}

func TestReproduciblePushAndFolders(t *testing.T) {
	e := newEnv(t)
	e.write("product/B04.tif", realTIFF(t))
	e.write("product/item.json", []byte(stacItem))
	a := digestLine(t, e.eo("push", "--reproducible", "--oci-layout", "l1:v1", "product"))
	if err := os.Chtimes(e.path("product/B04.tif"), timeNow(), timeNow()); err != nil {
		t.Fatal(err)
	}
	b := digestLine(t, e.eo("push", "--reproducible", "--oci-layout", "l2:v1", "product"))
	if a != b {
		t.Fatalf("--reproducible: %s != %s", a, b)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	c := digestLine(t, e.eo("push", "--oci-layout", "l3:v1", "product"))
	if err := os.Chtimes(e.path("product/item.json"), timeNow(), timeNow()); err != nil {
		t.Fatal(err)
	}
	d := digestLine(t, e.eo("push", "--oci-layout", "l4:v1", "product"))
	if c != d || c == a {
		t.Fatalf("SOURCE_DATE_EPOCH: %s, %s (no-epoch %s)", c, d, a)
	}
	e.eo("pull", "--oci-layout", "l1:v1", "-o", "out")
	e.sameFile("product/B04.tif", "out/product/B04.tif")
	e.sameFile("product/item.json", "out/product/item.json")
}
