package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// item is a pushed artifact: a manifest and the blobs it references.
type item struct {
	manifest digest.Digest
	blobs    []digest.Digest
}

// pushItem pushes a manifest with the empty config and one layer holding data, tagged tag.
func (tr *testRegistry) pushItem(repo, tag, data string) item {
	tr.t.Helper()
	layer := tr.pushBlob(repo, []byte(data))
	body, d := manifestJSON(tr.t, "application/vnd.eopack.test", nil, layer)
	tr.pushManifest(repo, tag, body)
	return item{d, []digest.Digest{ocispec.DescriptorEmptyJSON.Digest, layer.Digest}}
}

// deleteItem deletes the item's manifest and then its blobs, each answered 202.
func (tr *testRegistry) deleteItem(repo string, it item) {
	tr.t.Helper()
	expect(tr.t, "DELETE manifest", tr.do("DELETE", "/v2/"+repo+"/manifests/"+it.manifest.String(), nil), http.StatusAccepted, "")
	for _, b := range it.blobs {
		expect(tr.t, "DELETE blob", tr.do("DELETE", "/v2/"+repo+"/blobs/"+b.String(), nil), http.StatusAccepted, "")
	}
}

func (tr *testRegistry) catalog() []string {
	tr.t.Helper()
	r := tr.do("GET", "/v2/_catalog", nil)
	expect(tr.t, "GET _catalog", r, http.StatusOK, "")
	var c struct{ Repositories []string }
	if err := json.Unmarshal(r.body, &c); err != nil {
		tr.t.Fatal(err)
	}
	return c.Repositories
}

func (tr *testRegistry) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(tr.fs.Root(), filepath.FromSlash(rel)))
	return err == nil
}

func TestEmptiedRepositoryIsDropped(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	it := tr.pushItem("eo/scratch/one", "v1", "band")
	tr.pushItem("eo/other", "v1", "kept")

	// The tag delete leaves the manifest listed (untagged): the repository is not empty.
	expect(t, "DELETE tag", tr.do("DELETE", "/v2/eo/scratch/one/manifests/v1", nil), http.StatusAccepted, "")
	if !slices.Contains(tr.catalog(), "eo/scratch/one") {
		t.Fatal("repository dropped while its untagged manifest is still listed")
	}
	expect(t, "DELETE manifest", tr.do("DELETE", "/v2/eo/scratch/one/manifests/"+it.manifest.String(), nil), http.StatusAccepted, "")
	expect(t, "DELETE config", tr.do("DELETE", "/v2/eo/scratch/one/blobs/"+it.blobs[0].String(), nil), http.StatusAccepted, "")
	if !slices.Contains(tr.catalog(), "eo/scratch/one") {
		t.Fatal("repository dropped while it still holds a blob")
	}
	expect(t, "DELETE layer", tr.do("DELETE", "/v2/eo/scratch/one/blobs/"+it.blobs[1].String(), nil), http.StatusAccepted, "")

	if got, want := tr.catalog(), []string{"eo/other"}; !slices.Equal(got, want) {
		t.Fatalf("_catalog after deleting everything = %q, want %q", got, want)
	}
	expect(t, "tags of the dropped repository", tr.do("GET", "/v2/eo/scratch/one/tags/list", nil), http.StatusNotFound, "NAME_UNKNOWN")
	expect(t, "blob of the dropped repository", tr.do("HEAD", "/v2/eo/scratch/one/blobs/"+it.blobs[1].String(), nil), http.StatusNotFound, "")
	if tr.exists("eo/scratch/one") || tr.exists("eo/scratch") {
		t.Fatal("the emptied repository's folder or its empty plain parent is still on disk")
	}
	if !tr.exists("eo/other/index.json") || !tr.exists("_pool") || !tr.exists("_uploads") {
		t.Fatal("pruning removed a sibling repository, _pool or _uploads")
	}
	if !tr.fs.pool.Has(it.blobs[1]) {
		t.Fatal("pool blob removed by the repository drop (the TTL sweep owns that)")
	}

	// Deleting from a missing repository still answers as before.
	expect(t, "DELETE again", tr.do("DELETE", "/v2/eo/scratch/one/blobs/"+it.blobs[1].String(), nil), http.StatusNotFound, "BLOB_UNKNOWN")

	// A push afterwards recreates it.
	it = tr.pushItem("eo/scratch/one", "v2", "band")
	r := tr.do("GET", "/v2/eo/scratch/one/tags/list", nil)
	expect(t, "tags after re-push", r, http.StatusOK, "")
	if !bytes.Contains(r.body, []byte(`"v2"`)) {
		t.Fatalf("tags after re-push: %s", r.body)
	}
	expect(t, "GET re-pushed manifest", tr.do("GET", "/v2/eo/scratch/one/manifests/v2", nil, "Accept", ocispec.MediaTypeImageManifest), http.StatusOK, "")
	if got, want := tr.catalog(), []string{"eo/other", "eo/scratch/one"}; !slices.Equal(got, want) {
		t.Fatalf("_catalog after re-push = %q, want %q", got, want)
	}
}

func TestParentRepositoryKeptWhileChildExists(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	parent := tr.pushItem("eo", "v1", "parent")
	child := tr.pushItem("eo/products", "v1", "child")
	sibling := tr.pushItem("eo/products2", "v1", "sibling")

	tr.deleteItem("eo", parent)
	if got, want := tr.catalog(), []string{"eo", "eo/products", "eo/products2"}; !slices.Equal(got, want) {
		t.Fatalf("_catalog = %q, want %q (eo stays while repositories exist beneath it)", got, want)
	}
	r := tr.do("GET", "/v2/eo/tags/list", nil)
	expect(t, "tags of the emptied parent", r, http.StatusOK, "")

	tr.deleteItem("eo/products", child)
	if got, want := tr.catalog(), []string{"eo", "eo/products2"}; !slices.Equal(got, want) {
		t.Fatalf("_catalog = %q, want %q", got, want)
	}
	// The last child gone, the empty parent repository goes with it.
	tr.deleteItem("eo/products2", sibling)
	if got := tr.catalog(); len(got) != 0 {
		t.Fatalf("_catalog = %q, want none", got)
	}
	if tr.exists("eo") {
		t.Fatal("ROOT/eo still on disk")
	}
	entries, err := os.ReadDir(tr.fs.Root())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"_pool", "_uploads"}; !slices.Equal(names, want) {
		t.Fatalf("ROOT holds %q, want %q", names, want)
	}
}

func TestUploadCompletesIntoDroppedRepository(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	it := tr.pushItem("eo/up", "v1", "first")
	r := tr.do("POST", "/v2/eo/up/blobs/uploads/", nil)
	expect(t, "POST upload", r, http.StatusAccepted, "")
	loc := r.header.Get("Location")
	expect(t, "PATCH chunk", tr.do("PATCH", loc, []byte("late"), "Content-Type", "application/octet-stream"), http.StatusAccepted, "")

	tr.deleteItem("eo/up", it)
	if slices.Contains(tr.catalog(), "eo/up") {
		t.Fatal("repository not dropped")
	}
	d := digest.FromString("late")
	expect(t, "PUT completes the upload", tr.do("PUT", loc+"?digest="+d.String(), nil), http.StatusCreated, "")
	expect(t, "GET the blob", tr.do("GET", "/v2/eo/up/blobs/"+d.String(), nil), http.StatusOK, "")
	if !slices.Contains(tr.catalog(), "eo/up") {
		t.Fatal("upload completion did not recreate the repository")
	}

	// A mount into a dropped repository recreates it too.
	expect(t, "DELETE the blob", tr.do("DELETE", "/v2/eo/up/blobs/"+d.String(), nil), http.StatusAccepted, "")
	if slices.Contains(tr.catalog(), "eo/up") {
		t.Fatal("repository not dropped after its last blob")
	}
	expect(t, "automatic mount", tr.do("POST", "/v2/eo/up/blobs/uploads/?mount="+d.String(), nil), http.StatusCreated, "")
	expect(t, "HEAD the mounted blob", tr.do("HEAD", "/v2/eo/up/blobs/"+d.String(), nil), http.StatusOK, "")
	if !slices.Contains(tr.catalog(), "eo/up") {
		t.Fatal("mount did not recreate the repository")
	}
}

// try is do for goroutines other than the test's: it returns errors instead of failing.
func (tr *testRegistry) try(method, path string, body []byte, hdr ...string) (resp, error) {
	req, err := http.NewRequest(method, tr.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		return resp{}, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}, err
}

// steps runs requests in order, each expecting its status, and stops at the first surprise.
type step struct {
	method, path string
	body         []byte
	status       int
	hdr          []string
}

func (tr *testRegistry) steps(ss ...step) error {
	for _, s := range ss {
		r, err := tr.try(s.method, s.path, s.body, s.hdr...)
		if err != nil {
			return err
		}
		if r.status != s.status {
			return fmt.Errorf("%s %s: %d %s, want %d", s.method, s.path, r.status, r.body, s.status)
		}
	}
	return nil
}

// ownItem is a manifest with its own config and layer blobs, so deleting another item's blobs
// never touches it; the steps push it (monolithic POST with digest) under tag.
func ownItem(t *testing.T, repo, tag, seed string) (item, []step) {
	t.Helper()
	cfg, layer := []byte(`{"seed":"`+seed+`"}`), []byte("layer "+seed)
	desc := func(mt string, b []byte) ocispec.Descriptor {
		return ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}
	}
	m, err := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest, Config: desc("application/vnd.eopack.test.config+json", cfg),
		Layers: []ocispec.Descriptor{desc("application/octet-stream", layer)}})
	if err != nil {
		t.Fatal(err)
	}
	it := item{digest.FromBytes(m), []digest.Digest{digest.FromBytes(cfg), digest.FromBytes(layer)}}
	base := "/v2/" + repo
	return it, []step{
		{"POST", base + "/blobs/uploads/?digest=" + it.blobs[0].String(), cfg, http.StatusCreated, nil},
		{"POST", base + "/blobs/uploads/?digest=" + it.blobs[1].String(), layer, http.StatusCreated, nil},
		{"PUT", base + "/manifests/" + tag, m, http.StatusCreated, []string{"Content-Type", ocispec.MediaTypeImageManifest}},
	}
}

// emptyIndex is an image index listing nothing: a manifest that needs no blob, so its push
// may land in a repository that a concurrent delete is just emptying.
func emptyIndex(repo, tag string, round int) (item, []step) {
	body := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[],"annotations":{"round":"%d"}}`,
		ocispec.MediaTypeImageIndex, round))
	return item{manifest: digest.FromBytes(body)}, []step{
		{"PUT", "/v2/" + repo + "/manifests/" + tag, body, http.StatusCreated, []string{"Content-Type", ocispec.MediaTypeImageIndex}},
	}
}

func deleteSteps(repo string, it item) []step {
	ss := []step{{"DELETE", "/v2/" + repo + "/manifests/" + it.manifest.String(), nil, http.StatusAccepted, nil}}
	for _, b := range it.blobs {
		ss = append(ss, step{"DELETE", "/v2/" + repo + "/blobs/" + b.String(), nil, http.StatusAccepted, nil})
	}
	return ss
}

// TestConcurrentDeleteAllAndPush deletes everything in a repository while other clients push
// new artifacts into it: whichever order the registry serialises them in, every pushed artifact
// must be complete afterwards and the repository listed.
func TestConcurrentDeleteAllAndPush(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	// Writers pause between opening the repository and writing into it: a prune that is not
	// kept out would remove the folder under them (it need not, to pass; it only may).
	tr.fs.testHookWrite = func(string) { runtime.Gosched(); time.Sleep(time.Millisecond) }
	const repo, pushers = "race/scratch", 4
	for i := range 120 {
		old, push := ownItem(t, repo, "old", fmt.Sprintf("old-%d", i))
		if err := tr.steps(push...); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, pushers+1)
		pushed := make([]item, pushers)
		wg.Go(func() { errs[pushers] = tr.steps(deleteSteps(repo, old)...) })
		for p := range pushers {
			var steps []step
			if p == 0 {
				pushed[p], steps = emptyIndex(repo, "new0", i)
			} else {
				pushed[p], steps = ownItem(t, repo, fmt.Sprintf("new%d", p), fmt.Sprintf("new-%d-%d", i, p))
			}
			wg.Go(func() { errs[p] = tr.steps(steps...) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		}
		for p, it := range pushed {
			r := tr.do("GET", fmt.Sprintf("/v2/%s/manifests/new%d", repo, p), nil)
			expect(t, fmt.Sprintf("round %d: GET pushed manifest", i), r, http.StatusOK, "")
			if got := r.header.Get("Docker-Content-Digest"); got != it.manifest.String() {
				t.Fatalf("round %d: manifest digest %s, want %s", i, got, it.manifest)
			}
			for _, b := range it.blobs {
				expect(t, fmt.Sprintf("round %d: GET pushed blob", i), tr.do("GET", "/v2/"+repo+"/blobs/"+b.String(), nil), http.StatusOK, "")
			}
		}
		if !slices.Contains(tr.catalog(), repo) {
			t.Fatalf("round %d: %s missing from _catalog after the pushes", i, repo)
		}
		// Empty it again so that the next round starts from a dropped repository.
		for _, it := range pushed {
			if err := tr.steps(deleteSteps(repo, it)...); err != nil {
				t.Fatal(err)
			}
		}
		expect(t, fmt.Sprintf("round %d: tags after emptying", i), tr.do("GET", "/v2/"+repo+"/tags/list", nil), http.StatusNotFound, "NAME_UNKNOWN")
	}
}
