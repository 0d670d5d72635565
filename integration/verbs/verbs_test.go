package verbs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
	"github.com/opencontainers/go-digest"
)

var plain = []string{"--plain-http"}

// orasSeed pushes a two-file artifact with the ORAS CLI and returns the layer digests.
func orasSeed(t *testing.T, e *cmdEnv, oras, ref string) (band, item digest.Digest) {
	t.Helper()
	b := randomBytes(t, 300_000)
	s := []byte(`{"type":"Feature","stac_version":"1.1.0","id":"S2B_test"}`)
	e.write(t, "data/B04.tif", b)
	e.write(t, "data/stac_item.json", s)
	e.must(t, oras, "push", "--plain-http", "--artifact-type", "application/vnd.eopack.eo.product.v1", ref,
		"data/B04.tif:image/tiff", "data/stac_item.json:application/geo+json")
	return digest.FromBytes(b), digest.FromBytes(s)
}

// Every read verb prints what the ORAS CLI prints for the same call on the distribution registry.
func TestReadVerbsMatchOras(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/products"
	band, item := orasSeed(t, e, oras, repo+":v1")
	e.must(t, oras, "tag", "--plain-http", repo+":v1", "v2", "latest")
	e.must(t, oras, "push", "--plain-http", reg.Host()+"/eo/other:v1", "data/B04.tif")
	e.must(t, oras, "push", "--plain-http", reg.Host()+"/zz/last:v1", "data/B04.tif")

	raw := sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", repo+":v1")
	dg := digest.FromString(raw)
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", "--descriptor", repo+":v1")
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", "--descriptor", "--pretty", repo+"@"+dg.String())
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", "--pretty", repo+":v2")
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", "--format", "json", repo+":v1")
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", "--output", "-", repo+":latest")
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", "--media-type", "application/vnd.oci.image.manifest.v1+json", repo+":v1")
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", "--output", "m.json", "--descriptor", repo+":v1")
	if b, _ := os.ReadFile(filepath.Join(e.dir, "m.json")); string(b) != raw {
		t.Errorf("manifest fetch --output wrote %q", b)
	}

	if got := sameOutput(t, e, eopack, oras, plain, "resolve", repo+":v2"); got != dg.String()+"\n" {
		t.Errorf("resolve = %q, want %s", got, dg)
	}
	sameOutput(t, e, eopack, oras, plain, "resolve", "-l", repo+":v1")
	if got := sameOutput(t, e, eopack, oras, plain, "repo", "tags", repo); got != "latest\nv1\nv2\n" {
		t.Errorf("repo tags = %q", got)
	}
	sameOutput(t, e, eopack, oras, plain, "repo", "tags", "--last", "latest", repo)
	sameOutput(t, e, eopack, oras, plain, "repo", "tags", "--format", "json", repo)
	if got := sameOutput(t, e, eopack, oras, plain, "repo", "ls", reg.Host()); got != "eo/other\neo/products\nzz/last\n" {
		t.Errorf("repo ls = %q", got)
	}
	sameOutput(t, e, eopack, oras, plain, "repo", "ls", "--last", "eo/products", reg.Host())
	sameOutput(t, e, eopack, oras, plain, "repo", "ls", reg.Host()+"/eo")
	sameOutput(t, e, eopack, oras, plain, "repo", "ls", "--format", "json", reg.Host())

	for _, d := range []digest.Digest{band, item} {
		sameOutput(t, e, eopack, oras, plain, "blob", "fetch", "--output", "-", repo+"@"+d.String())
		sameOutput(t, e, eopack, oras, plain, "blob", "fetch", "--descriptor", repo+"@"+d.String())
	}
	e.must(t, eopack, "blob", "fetch", "--output", "out/B04.tif", repo+"@"+band.String())
	want, _ := os.ReadFile(filepath.Join(e.dir, "data/B04.tif"))
	if got, _ := os.ReadFile(filepath.Join(e.dir, "out/B04.tif")); string(got) != string(want) {
		t.Errorf("blob fetch --output: %d bytes, want %d", len(got), len(want))
	}
}

// What eopack pushes, tags and deletes, the ORAS CLI sees.
func TestWriteVerbsSeenByOras(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/products"
	band, _ := orasSeed(t, e, oras, reg.Host()+"/seed/src:v1")
	raw := e.must(t, oras, "manifest", "fetch", "--plain-http", reg.Host()+"/seed/src:v1")
	var m struct {
		Config struct{ Digest digest.Digest }
		Layers []struct{ Digest digest.Digest }
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}

	// Blobs: eopack blob push; its descriptor equals ORAS's for the same file.
	e.write(t, "config.json", []byte("{}"))
	e.write(t, "item.json", []byte(`{"type":"Feature","stac_version":"1.1.0","id":"S2B_test"}`))
	for _, f := range []string{"data/B04.tif", "item.json", "config.json"} {
		out := e.must(t, eopack, "blob", "push", repo, f)
		if !strings.Contains(out, "Pushed: [registry] "+repo+"\n") || !strings.Contains(out, "Digest: sha256:") {
			t.Errorf("blob push output:\n%s", out)
		}
	}
	desc := e.must(t, eopack, "blob", "push", "--descriptor", "--media-type", "image/tiff", repo, "data/B04.tif")
	if want := e.must(t, oras, "blob", "push", "--plain-http", "--descriptor", "--media-type", "image/tiff", reg.Host()+"/other/repo", "data/B04.tif"); desc != want {
		t.Errorf("blob push --descriptor = %s, oras: %s", desc, want)
	}
	if got := e.must(t, oras, "blob", "fetch", "--plain-http", "--output", "-", repo+"@"+band.String()); got != string(mustRead(t, e, "data/B04.tif")) {
		t.Errorf("oras fetched %d bytes of the blob eopack pushed", len(got))
	}

	// Manifest: eopack manifest push with two tags, then tag; oras reads the same bytes and tags.
	e.write(t, "manifest.json", []byte(raw))
	out := e.must(t, eopack, "manifest", "push", repo+":v1,v1.0", "manifest.json")
	dg := digest.FromString(raw)
	if !strings.Contains(out, "Pushed: [registry] "+repo+":v1\n") || !strings.Contains(out, "Tagged v1.0\n") || !strings.Contains(out, "Digest: "+dg.String()+"\n") {
		t.Errorf("manifest push output:\n%s", out)
	}
	if got := e.must(t, oras, "manifest", "fetch", "--plain-http", repo+":v1.0"); got != raw {
		t.Errorf("oras manifest fetch = %q, want %q", got, raw)
	}
	out = e.must(t, eopack, "tag", repo+":v1", "stable", "2026-11-27")
	if !strings.HasPrefix(out, "Tagging [registry] "+repo+"@"+dg.String()+"\n") {
		t.Errorf("tag output:\n%s", out)
	}
	if got := e.must(t, oras, "repo", "tags", "--plain-http", repo); got != "2026-11-27\nstable\nv1\nv1.0\n" {
		t.Errorf("oras repo tags after eopack tag = %q", got)
	}
	if got := e.must(t, oras, "resolve", "--plain-http", repo+":stable"); got != dg.String()+"\n" {
		t.Errorf("oras resolve = %q", got)
	}

	// Deletes.
	if out := e.must(t, eopack, "manifest", "delete", "--force", repo+":stable"); out != "Deleted [registry] "+repo+":stable\n" {
		t.Errorf("manifest delete = %q", out)
	}
	e.fails(t, "", oras, []string{"resolve", "--plain-http", repo + ":v1"}, "not found")
	if out := e.must(t, eopack, "manifest", "delete", "--force", repo+":stable"); out != "Missing "+repo+":stable\n" {
		t.Errorf("manifest delete of a missing manifest = %q", out)
	}
	ref := repo + "@" + m.Layers[0].Digest.String()
	if out := e.must(t, eopack, "blob", "delete", "--force", ref); out != "Deleted [registry] "+ref+"\n" {
		t.Errorf("blob delete = %q", out)
	}
	e.fails(t, "", oras, []string{"blob", "fetch", "--plain-http", "--descriptor", ref}, "not found")
}

// A blob larger than any buffer streams through push and fetch (stdout and file) intact,
// and the process never holds it in memory.
func TestLargeBlobStreams(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/big"
	const size = 160 << 20
	dg := writeRandomFile(t, e, "big.bin", size) // streamed: the test process stays small too

	rss := maxRSS(t, e, eopack, "blob", "push", repo, "big.bin")
	t.Logf("blob push %d MiB: peak RSS %d MiB", size>>20, rss>>20)
	if rss > 48<<20 {
		t.Errorf("blob push of %d MiB peaked at %d MiB RSS: not streaming", size>>20, rss>>20)
	}
	e.must(t, oras, "blob", "fetch", "--plain-http", "--output", "oras.bin", repo+"@"+dg)
	checkSum(t, e, "oras.bin", dg)
	rss = maxRSS(t, e, eopack, "blob", "fetch", "--output", "eo.bin", repo+"@"+dg)
	t.Logf("blob fetch %d MiB: peak RSS %d MiB", size>>20, rss>>20)
	if rss > 48<<20 {
		t.Errorf("blob fetch of %d MiB peaked at %d MiB RSS: not streaming", size>>20, rss>>20)
	}
	checkSum(t, e, "eo.bin", dg)
	hashOfStdout(t, e, dg, eopack, "blob", "fetch", "--output", "-", repo+"@"+dg)
}

// OCI image layouts: eopack reads what ORAS wrote and ORAS reads what eopack changed.
func TestLayoutVerbsInteropWithOras(t *testing.T) {
	eopack, oras := peers(t)
	e := newEnv(t)
	e.write(t, "B04.tif", randomBytes(t, 50_000))
	e.must(t, oras, "push", "--oci-layout", "lay:v1", "B04.tif:image/tiff")
	raw := sameOutput(t, e, eopack, oras, nil, "manifest", "fetch", "--oci-layout", "lay:v1")
	sameOutput(t, e, eopack, oras, nil, "manifest", "fetch", "--oci-layout", "--descriptor", "lay:v1")
	sameOutput(t, e, eopack, oras, nil, "resolve", "--oci-layout", "lay:v1")
	var m struct{ Layers []struct{ Digest string } }
	json.Unmarshal([]byte(raw), &m)
	sameOutput(t, e, eopack, oras, nil, "blob", "fetch", "--oci-layout", "--output", "-", "lay@"+m.Layers[0].Digest)

	e.must(t, eopack, "tag", "--oci-layout", "lay:v1", "v2", "stable")
	if got := e.must(t, oras, "repo", "tags", "--oci-layout", "lay"); got != "stable\nv1\nv2\n" {
		t.Errorf("oras repo tags after eopack tag = %q", got)
	}
	sameOutput(t, e, eopack, oras, nil, "repo", "tags", "--oci-layout", "lay")
	e.write(t, "m.json", []byte(raw))
	e.must(t, eopack, "manifest", "push", "--oci-layout", "lay2:v1", "m.json")
	e.fails(t, "", oras, []string{"manifest", "fetch", "--oci-layout", "lay9:v1"})
	if got := e.must(t, oras, "resolve", "--oci-layout", "lay2:v1"); got != digest.FromString(raw).String()+"\n" {
		t.Errorf("oras resolve of the layout eopack wrote = %q", got)
	}
}

// Bad input fails with one line naming the problem, and writes nothing.
func TestBadInput(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/products"
	band, _ := orasSeed(t, e, oras, repo+":v1")

	e.fails(t, "", eopack, []string{"manifest", "fetch", reg.Host() + "/eo/Products:v1"}, "eo/Products", "invalid")
	e.fails(t, "", eopack, []string{"resolve", "not a reference"}, "not a reference")
	e.fails(t, "", eopack, []string{"manifest", "fetch", repo + ":nope"}, repo+":nope", "not found")
	e.fails(t, "", eopack, []string{"tag", repo + ":nope", "v9"}, "nope", "not found")
	e.fails(t, "", eopack, []string{"blob", "fetch", "--output", "x.bin", repo + "@sha256:" + strings.Repeat("0", 64)}, "not found")
	e.fails(t, "", eopack, []string{"blob", "push", repo, "missing.tif"}, "missing.tif")
	e.fails(t, "", eopack, []string{"manifest", "push", repo + ":v2", "missing.json"}, "missing.json")
	e.fails(t, "", eopack, []string{"blob", "push", "--media-type", "image/tiff; application=geotiff", repo, "data/B04.tif"}, "carry none", `"image/tiff"`)
	e.fails(t, "", eopack, []string{"repo", "tags", testpeer.FreeAddr(t) + "/eo/products"}, "unreachable")
	for _, f := range []string{"x.bin"} {
		if _, err := os.Stat(filepath.Join(e.dir, f)); !os.IsNotExist(err) {
			t.Errorf("a failed command left %s", f)
		}
	}
	_ = band
}

func mustRead(t *testing.T, e *cmdEnv, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --platform picks from an image index, and fetch-config prints a manifest's config, as ORAS.
func TestPlatformAndConfigMatchOras(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/multi"
	e.write(t, "B04.tif", randomBytes(t, 1000))
	e.write(t, "amd64.json", []byte(`{"architecture":"amd64","os":"linux"}`))
	e.write(t, "arm64.json", []byte(`{"architecture":"arm64","os":"linux"}`))
	for _, a := range []string{"amd64", "arm64"} {
		e.must(t, oras, "push", "--plain-http", "--config", a+".json:application/vnd.oci.image.config.v1+json", repo+":"+a, "B04.tif")
	}
	e.must(t, oras, "manifest", "index", "create", "--plain-http", repo+":v1", "amd64", "arm64")

	arm := e.must(t, oras, "resolve", "--plain-http", repo+":arm64")
	if got := sameOutput(t, e, eopack, oras, plain, "resolve", "--platform", "linux/arm64", repo+":v1"); got != arm {
		t.Errorf("resolve --platform linux/arm64 = %q, want %q", got, arm)
	}
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", "--platform", "linux/amd64", repo+":v1")
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", "--platform", "linux/arm64", "--descriptor", repo+":v1")
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch", repo+":v1")
	if got := sameOutput(t, e, eopack, oras, plain, "manifest", "fetch-config", "--platform", "linux/arm64", repo+":v1"); got != `{"architecture":"arm64","os":"linux"}` {
		t.Errorf("fetch-config = %q", got)
	}
	sameOutput(t, e, eopack, oras, plain, "manifest", "fetch-config", "--descriptor", repo+":amd64")
	e.fails(t, "", eopack, []string{"manifest", "fetch-config", repo + ":v1"}, "no config")
	e.fails(t, "", eopack, []string{"resolve", "--platform", "linux/arm/v7/x", repo + ":v1"}, "os[/arch]")
}
