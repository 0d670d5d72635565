package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/fsutil"
	"github.com/eopack/eopack/registry"
	"github.com/opencontainers/go-digest"
)

func TestBlobVerbsOnLayout(t *testing.T) {
	dir := t.TempDir()
	lay := filepath.Join(dir, "lay")
	data := bytes.Repeat([]byte("COG band bytes "), 4096)
	file := filepath.Join(dir, "B04.tif")
	os.WriteFile(file, data, 0o644)
	d := digest.FromBytes(data)

	out := verbsMust(t, "", verbsLayoutArgs("blob", "push", lay, file)...)
	want := "Uploading " + d.Encoded()[:12] + " application/vnd.oci.image.layer.v1.tar\n" +
		"Uploaded  " + d.Encoded()[:12] + " application/vnd.oci.image.layer.v1.tar\n" +
		"Pushed: [oci-layout] " + lay + "\nDigest: " + d.String() + "\n"
	if out != want {
		t.Errorf("blob push output:\n%s\nwant:\n%s", out, want)
	}
	if out := verbsMust(t, "", verbsLayoutArgs("blob", "push", lay, file)...); !strings.HasPrefix(out, "Exists    "+d.Encoded()[:12]) {
		t.Errorf("second blob push: %q", out)
	}
	desc := verbsMust(t, "", verbsLayoutArgs("blob", "push", "--descriptor", "--media-type", "image/tiff", lay, file)...)
	if desc != `{"mediaType":"image/tiff","digest":"`+d.String()+`","size":`+strconv.Itoa(len(data))+`}` {
		t.Errorf("blob push --descriptor = %s", desc)
	}

	ref := lay + "@" + d.String()
	got := filepath.Join(dir, "out", "band.tif")
	os.MkdirAll(filepath.Dir(got), 0o755)
	if out := verbsMust(t, "", verbsLayoutArgs("blob", "fetch", "--output", got, ref)...); out != "" {
		t.Errorf("blob fetch --output printed %q", out)
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, data) {
		t.Errorf("fetched file differs (%d bytes)", len(b))
	}
	if out := verbsMust(t, "", verbsLayoutArgs("blob", "fetch", "--output", "-", ref)...); out != string(data) {
		t.Errorf("blob fetch --output - wrote %d bytes, want %d", len(out), len(data))
	}
	d2 := verbsMust(t, "", verbsLayoutArgs("blob", "fetch", "--descriptor", ref)...)
	if !strings.Contains(d2, `"digest":"`+d.String()+`","size":`+strconv.Itoa(len(data))) {
		t.Errorf("blob fetch --descriptor = %s", d2)
	}
	entries, _ := os.ReadDir(filepath.Dir(got))
	if len(entries) != 1 {
		t.Errorf("temp files left beside the output: %v", entries)
	}

	// stdin needs --size and the digest.
	verbsFail(t, 2, string(data), verbsLayoutArgs("blob", "push", lay, "-"), "--size")
	verbsFail(t, 2, string(data), verbsLayoutArgs("blob", "push", "--size", strconv.Itoa(len(data)), lay, "-"), "digest")
	other := []byte("from stdin")
	od := digest.FromBytes(other)
	verbsMust(t, string(other), verbsLayoutArgs("blob", "push", "--size", strconv.Itoa(len(other)), lay+"@"+od.String(), "-")...)
	if out := verbsMust(t, "", verbsLayoutArgs("blob", "fetch", "--output", "-", lay+"@"+od.String())...); out != string(other) {
		t.Errorf("stdin blob fetched back as %q", out)
	}

	verbsFail(t, 1, "", verbsLayoutArgs("blob", "push", "--size", "3", lay, file), "size 3", strconv.Itoa(len(data)))
	verbsFail(t, 1, "", verbsLayoutArgs("blob", "push", lay, filepath.Join(dir, "missing.tif")), "missing.tif")
	verbsFail(t, 2, "", verbsLayoutArgs("blob", "fetch", "--output", got, lay+":v1"), "digest")
	verbsFail(t, 2, "", verbsLayoutArgs("blob", "fetch", ref), "--output", "--descriptor")

	if out := verbsMust(t, "", verbsLayoutArgs("blob", "delete", "--force", ref)...); out != "Deleted [oci-layout] "+ref+"\n" {
		t.Errorf("blob delete = %q", out)
	}
	verbsFail(t, 1, "", verbsLayoutArgs("blob", "fetch", "--output", filepath.Join(dir, "gone"), ref), "not found")
	if _, err := os.Stat(filepath.Join(dir, "gone")); !os.IsNotExist(err) {
		t.Errorf("a failed fetch left its output file")
	}
	if out := verbsMust(t, "", verbsLayoutArgs("blob", "delete", "--force", ref)...); out != "Missing "+ref+"\n" {
		t.Errorf("blob delete --force of a missing blob = %q", out)
	}
}

// A blob whose bytes do not match its digest is refused and nothing is left under the name.
func TestBlobFetchRefusesCorruptBlob(t *testing.T) {
	dir := t.TempDir()
	lay := filepath.Join(dir, "lay")
	data := []byte("the real bytes of a band")
	file := filepath.Join(dir, "b")
	os.WriteFile(file, data, 0o644)
	d := digest.FromBytes(data)
	verbsMust(t, "", verbsLayoutArgs("blob", "push", lay, file)...)
	blobFile := filepath.Join(lay, "blobs", "sha256", d.Encoded())
	os.Chmod(blobFile, 0o644)
	if err := os.WriteFile(blobFile, []byte("THE REAL BYTES OF A BAND"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.tif")
	os.WriteFile(out, []byte("previous"), 0o644)
	verbsFail(t, 1, "", verbsLayoutArgs("blob", "fetch", "--output", out, lay+"@"+d.String()), "does not match")
	if b, _ := os.ReadFile(out); string(b) != "previous" {
		t.Errorf("the existing output file was replaced by unverified bytes: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fsutil.IsTemp(e.Name()) {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
}

// verbsCorruptBlobs flips the first byte of every blob body the registry sends.
type verbsCorruptBlobs struct{ next http.Handler }

func (c verbsCorruptBlobs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
		w = &verbsFlipWriter{ResponseWriter: w}
	}
	c.next.ServeHTTP(w, r)
}

type verbsFlipWriter struct {
	http.ResponseWriter
	done bool
}

func (f *verbsFlipWriter) Write(p []byte) (int, error) {
	if !f.done && len(p) > 0 {
		q := append([]byte{p[0] ^ 0xff}, p[1:]...)
		f.done = true
		return f.ResponseWriter.Write(q)
	}
	return f.ResponseWriter.Write(p)
}

// A registry that sends wrong bytes: blob fetch refuses them, and no file appears.
func TestBlobFetchRefusesLyingRegistry(t *testing.T) {
	fs := openStorage(t)
	honest := httptest.NewServer(registry.New(fs, registry.Options{}))
	defer honest.Close()
	lying := httptest.NewServer(verbsCorruptBlobs{registry.New(fs, registry.Options{})})
	defer lying.Close()
	dir := t.TempDir()
	data := []byte("reflectance values of band 4")
	file := filepath.Join(dir, "B04.tif")
	os.WriteFile(file, data, 0o644)
	d := digest.FromBytes(data)
	verbsMust(t, "", "blob", "push", strings.TrimPrefix(honest.URL, "http://")+"/eo/products", file)

	ref := strings.TrimPrefix(lying.URL, "http://") + "/eo/products@" + d.String()
	out := filepath.Join(dir, "out", "B04.tif")
	verbsFail(t, 1, "", []string{"blob", "fetch", "--output", out, ref}, "does not match")
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
		t.Errorf("a refused blob left files: %v", entries)
	}
	_, errOut, code := verbsRun(t, "", "blob", "fetch", "--output", "-", ref)
	if code != 1 || !strings.Contains(errOut, "does not match") {
		t.Errorf("blob fetch --output - from a lying registry: exit %d, %q", code, errOut)
	}
}
