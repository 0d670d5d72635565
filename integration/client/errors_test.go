package client

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/eopack/eopack/internal/testpeer"
	"github.com/eopack/eopack/target"
)

// pushRaw pushes an artifact whose layers carry the given titles, bypassing eopack's checks.
func pushRaw(t *testing.T, ref string, titles ...string) {
	t.Helper()
	r, err := target.ParseRemote(ref)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := target.Repository(r, target.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var layers []ocispec.Descriptor
	for i, title := range titles {
		b := []byte(fmt.Sprintf("hostile %d", i))
		d, err := oras.PushBytes(bg, repo, "application/octet-stream", b)
		if err != nil {
			t.Fatal(err)
		}
		d.Annotations = map[string]string{ocispec.AnnotationTitle: title}
		layers = append(layers, d)
	}
	if _, err := oras.PushBytes(bg, repo, ocispec.MediaTypeEmptyJSON, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	m, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: "application/vnd.hostile", Config: ocispec.DescriptorEmptyJSON, Layers: layers})
	if _, err := oras.TagBytes(bg, repo, ocispec.MediaTypeImageManifest, m, r.Reference); err != nil {
		t.Fatal(err)
	}
}

func TestHostileArtifactRefused(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	outside := e.path("outside")
	os.MkdirAll(outside, 0o755)
	os.MkdirAll(e.path("work/out"), 0o755)
	if err := os.Symlink(outside, e.path("work/out/evil")); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"dotdot":       {"../../x"},
		"absolute":     {"/etc/x"},
		"inner dotdot": {"a/../../x"},
		"mixed":        {"good.txt", "../x"},
		"symlink":      {"evil/x"},
		"symlink deep": {"evil/a/b/x"},
	}
	i := 0
	for name, titles := range cases {
		i++
		ref := fmt.Sprintf("%s/eo/hostile:t%d", reg.Addr, i)
		pushRaw(t, ref, titles...)
		out := e.eoFail("pull", ref, "-o", "work/out")
		if !strings.Contains(out, "..") && !strings.Contains(out, "absolute") && !strings.Contains(out, "leaves the output folder") {
			t.Errorf("%s: error does not name the problem: %s", name, out)
		}
	}
	assertEmpty(t, outside)
	ents, _ := os.ReadDir(e.path("work/out"))
	if len(ents) != 1 || ents[0].Name() != "evil" {
		t.Fatalf("work/out holds %v, want only the pre-existing symlink", ents)
	}
	ents, _ = os.ReadDir(e.path("work"))
	if len(ents) != 1 {
		t.Fatalf("work holds %v", ents)
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 0 {
		t.Fatalf("%s holds %v (%v): something was written outside -o", dir, ents, err)
	}
}

func TestWrongDigestBlobRefused(t *testing.T) {
	e := newEnv(t)
	e.write("B04.tif", realTIFF(t))
	out := e.eo("push", "--oci-layout", "lay:v1", "--export-manifest", "m.json", "B04.tif:image/tiff")
	_ = out
	var m ocispec.Manifest
	if err := json.Unmarshal(e.read("m.json"), &m); err != nil {
		t.Fatal(err)
	}
	blob := e.path("lay/blobs/sha256/" + m.Layers[0].Digest.Encoded())
	tampered := realTIFF(t)
	tampered[1000] ^= 0xff
	os.Chmod(blob, 0o644)
	if err := os.WriteFile(blob, tampered, 0o644); err != nil {
		t.Fatal(err)
	}
	msg := e.eoFail("pull", "--oci-layout", "lay:v1", "-o", "out")
	if !strings.Contains(msg, "digest") && !strings.Contains(msg, "match") {
		t.Fatalf("error does not name the digest problem: %s", msg)
	}
	if ents, _ := os.ReadDir(e.path("out")); len(ents) != 0 {
		t.Fatalf("out holds %v after a refused blob", ents)
	}
}

func TestAuthErrorsSayLogin(t *testing.T) {
	addr := testpeer.StartDistributionWith(t, testpeer.DistributionOptions{Htpasswd: testpeer.WriteHtpasswd(t, "eo", "s3cret")}).Addr
	e := newEnv(t)
	e.write("B04.tif", []byte("band"))
	ref := addr + "/eo/products:v1"
	out := e.eoFail("push", ref, "B04.tif")
	if !strings.Contains(out, "eopack login "+addr) {
		t.Fatalf("401 message does not say to log in: %s", out)
	}
	out = e.eoFail("push", "-u", "eo", "-p", "wrong", ref, "B04.tif")
	if !strings.Contains(out, "eopack login") {
		t.Fatalf("bad password message: %s", out)
	}
	e.eo("push", "-u", "eo", "-p", "s3cret", ref, "B04.tif")
	e.eo("pull", "-u", "eo", "-p", "s3cret", ref, "-o", "out")
	e.sameFile("B04.tif", "out/B04.tif")
	e.sh("echo s3cret | eopack pull -u eo --password-stdin " + ref + " -o out-stdin")
	e.sameFile("B04.tif", "out-stdin/B04.tif")
	// credentials from a Docker config.json (what `login` writes)
	e.write("cfg/config.json", []byte(fmt.Sprintf(`{"auths":{%q:{"auth":"ZW86czNjcmV0"}}}`, addr)))
	e.eo("pull", "--registry-config", e.path("cfg/config.json"), ref, "-o", "out2")
	e.sameFile("B04.tif", "out2/B04.tif")
}

func TestBadInputErrors(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	e.write("B04.tif", []byte("band"))
	ref := reg.Addr + "/eo/products:v1"
	e.eo("push", ref, "B04.tif")
	dead := testpeer.FreeAddr(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"pull", dead + "/eo/products:v1", "-o", "o"}, "registry unreachable: " + dead},
		{[]string{"push", dead + "/eo/products:v1", "B04.tif"}, "registry unreachable"},
		{[]string{"pull", reg.Addr + "/eo/products:nope", "-o", "o"}, "eo/products:nope: not found"},
		{[]string{"pull", reg.Addr + "/EO/x:v1", "-o", "o"}, `invalid repository "EO/x"`},
		{[]string{"pull", "products:v1", "-o", "o"}, "<registry>/<repository>"},
		{[]string{"push", ref, "missing.tif"}, "missing.tif: no such file"},
		{[]string{"push", ref, "B04.tif:image/tiff; application=geotiff"}, `OCI media types carry none; use "image/tiff"`},
		{[]string{"cp", "--from-oci-layout", "nolayout:v1", "--to", ref}, "not an OCI image layout"},
		{[]string{"pull", "--oci-layout", "nolayout:v1", "-o", "o"}, "not an OCI image layout"},
	} {
		out := e.eoFail(c.args...)
		if !strings.Contains(out, c.want) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("eopack %s:\n got %q\nwant one line containing %q", strings.Join(c.args, " "), out, c.want)
		}
	}
	if _, err := os.Stat(e.path("o")); err == nil {
		if ents, _ := os.ReadDir(e.path("o")); len(ents) != 0 {
			t.Fatalf("failed pulls left %v", ents)
		}
	}
	if _, err := os.Stat(e.path("nolayout")); err == nil {
		t.Fatal("reading a missing layout created it")
	}
}

var _ = content.Equal
