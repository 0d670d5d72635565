package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/registry"
)

// uploadCounter is eopack's registry handler counting finished blob uploads per digest
// (the PUT that closes an upload session carries ?digest=), and blob HEADs.
type uploadCounter struct {
	h     http.Handler
	mu    sync.Mutex
	n     map[string]int
	heads map[string]int
}

func newUploadCounter(t *testing.T) (*uploadCounter, string) {
	t.Helper()
	fs := openStorage(t)
	c := &uploadCounter{h: registry.New(fs, registry.Options{}), n: map[string]int{}, heads: map[string]int{}}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, strings.TrimPrefix(srv.URL, "http://")
}

func (c *uploadCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// an upload's bytes come with its digest: one POST, or a PUT closing a session
	if d := r.URL.Query().Get("digest"); (r.Method == http.MethodPut || r.Method == http.MethodPost) && d != "" {
		c.mu.Lock()
		c.n[d]++
		c.mu.Unlock()
	}
	if _, d, ok := strings.Cut(r.URL.Path, "/blobs/"); ok && r.Method == http.MethodHead {
		c.mu.Lock()
		c.heads[d]++
		c.mu.Unlock()
	}
	c.h.ServeHTTP(w, r)
}

// take returns the uploads and HEADs counted so far, and starts counting anew.
func (c *uploadCounter) take() (uploads, heads map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	uploads, heads = c.n, c.heads
	c.n, c.heads = map[string]int{}, map[string]int{}
	return uploads, heads
}

// onceEach fails unless every digest in want was uploaded exactly once and nothing else was.
func (c *uploadCounter) onceEach(t *testing.T, what string, want ...string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range want {
		if c.n[d] != 1 {
			t.Errorf("%s: %s uploaded %d times, want once", what, d, c.n[d])
		}
	}
	if len(c.n) != len(want) {
		t.Errorf("%s: uploads %v, want one each of %v", what, c.n, want)
	}
}

// statusLines returns the status lines of out that name digest d (by its 12-hex short form).
func statusLines(out string, d digest.Digest) []string {
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " "+d.Encoded()[:12]+" ") {
			got = append(got, strings.Join(strings.Fields(l), " "))
		}
	}
	return got
}

// TestStacInBothSendsItemOnce: with --stac-in both the item is the config and a layer (one
// digest, two media types). push must upload it once, print it once and count it once; cp of
// that artifact to another registry likewise.
func TestStacInBothSendsItemOnce(t *testing.T) {
	dir := t.TempDir()
	bands := map[string][]byte{"B1.tif": []byte("band one reflectance"), "B2.tif": []byte("band two reflectance")}
	var want []string
	for name, b := range bands {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		want = append(want, digest.FromBytes(b).String())
	}
	item := `{"type":"Feature","stac_version":"1.1.0","id":"dedup","geometry":null,"properties":{"datetime":"2001-06-01T12:57:00Z"},"links":[],
"assets":{"B1":{"href":"B1.tif","type":"image/tiff","roles":["data"]},"B2":{"href":"B2.tif","type":"image/tiff","roles":["data"]}}}`
	itemPath := filepath.Join(dir, "item.json")
	if err := os.WriteFile(itemPath, []byte(item), 0o644); err != nil {
		t.Fatal(err)
	}

	reg, host := newUploadCounter(t)
	out := verbsMust(t, "", "push", "--concurrency", "8", "--stac", itemPath, "--stac-in", "both", host+"/eo/products:v1")

	// the item as pushed (hrefs rewritten) is the config: read its digest from the manifest
	raw := verbsMust(t, "", "manifest", "fetch", host+"/eo/products:v1")
	var m ocispec.Manifest
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	itemDigest := m.Config.Digest
	var asLayer bool
	for _, l := range m.Layers {
		asLayer = asLayer || l.Digest == itemDigest
	}
	if !asLayer || m.Config.MediaType == "" {
		t.Fatalf("--stac-in both did not put the item in the config and a layer: %s", raw)
	}
	want = append(want, itemDigest.String())
	reg.onceEach(t, "push", want...)
	if got := statusLines(out, itemDigest); len(got) != 2 || !strings.HasPrefix(got[0], "Uploading ") || !strings.HasPrefix(got[1], "Uploaded ") {
		t.Errorf("push: status lines of the item %v, want one Uploading and one Uploaded\n%s", got, out)
	}
	if !strings.Contains(out, fmt.Sprintf("Pushed %d blobs", len(want))) {
		t.Errorf("push: summary does not count %d distinct blobs:\n%s", len(want), out)
	}

	mirror, mhost := newUploadCounter(t)
	out = verbsMust(t, "", "cp", "--concurrency", "8", host+"/eo/products:v1", mhost+"/eo/mirror:v1")
	mirror.onceEach(t, "cp", want...)
	if got := statusLines(out, itemDigest); len(got) != 2 || !strings.HasPrefix(got[0], "Copying ") || !strings.HasPrefix(got[1], "Copied ") {
		t.Errorf("cp: status lines of the item %v, want one Copying and one Copied\n%s", got, out)
	}
	if !strings.Contains(out, fmt.Sprintf("Copied %d blobs", len(want))) {
		t.Errorf("cp: summary does not count %d distinct blobs:\n%s", len(want), out)
	}

	// again: everything is there; the item is reported present once at most (not at all when
	// the manifest is the same, created in the same second: then nothing below it is visited)
	out = verbsMust(t, "", "push", "--stac", itemPath, "--stac-in", "both", host+"/eo/products:v2")
	if got := statusLines(out, itemDigest); len(got) > 1 || (len(got) == 1 && !strings.HasPrefix(got[0], "Exists ")) {
		t.Errorf("re-push: status lines of the item %v, want at most one Exists\n%s", got, out)
	}
	reg.onceEach(t, "re-push", want...)
}
