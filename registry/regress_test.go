package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// A completion cut between storing the bytes under the digest and recording the blob (a
// crash) leaves the session; the client's retried PUT finishes it, and a retried chunk on it
// never changes the stored blob.
func TestCompletionCutAfterCommitIsRetried(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	data := bytes.Repeat([]byte("band "), 20000)
	d := digest.FromBytes(data)
	loc := tr.do("POST", "/v2/eo/a/blobs/uploads/", nil).header.Get("Location")
	expect(t, "PATCH", tr.do("PATCH", loc, data, "Content-Range", fmt.Sprintf("0-%d", len(data)-1)), 202, "")
	testHookCommitted = func() error { return errors.New("cut") }
	r := tr.do("PUT", loc+"?digest="+d.String(), nil)
	testHookCommitted = nil
	expect(t, "cut completion", r, 500, "")
	expect(t, "session still known", tr.do("GET", loc, nil), 204, "")
	expect(t, "retried PUT", tr.do("PUT", loc+"?digest="+d.String(), nil), 201, "")
	expect(t, "session done", tr.do("GET", loc, nil), 404, "BLOB_UPLOAD_UNKNOWN")
	expect(t, "PUT once more", tr.do("PUT", loc+"?digest="+d.String(), data), 404, "BLOB_UPLOAD_UNKNOWN")
	expect(t, "PATCH once more", tr.do("PATCH", loc, data), 404, "BLOB_UPLOAD_UNKNOWN")
	// the same cut on a session whose last chunk came with the PUT: the retry resends it
	loc = tr.do("POST", "/v2/eo/b/blobs/uploads/", nil).header.Get("Location")
	tr.do("PATCH", loc, data[:100], "Content-Range", "0-99")
	testHookCommitted = func() error { return errors.New("cut") }
	tr.do("PUT", loc+"?digest="+d.String(), data[100:], "Content-Range", fmt.Sprintf("100-%d", len(data)-1))
	testHookCommitted = nil
	expect(t, "retried PUT with chunk", tr.do("PUT", loc+"?digest="+d.String(), data[100:], "Content-Range", fmt.Sprintf("100-%d", len(data)-1)), 201, "")
	// a later upload of the same digest with other bytes is refused and changes nothing
	expect(t, "wrong bytes", tr.do("POST", "/v2/eo/c/blobs/uploads/?digest="+d.String(), append([]byte("x"), data...)), 400, "DIGEST_INVALID")
	for _, repo := range []string{"eo/a", "eo/b"} {
		r := tr.do("GET", "/v2/"+repo+"/blobs/"+d.String(), nil)
		if r.status != 200 || !bytes.Equal(r.body, data) {
			t.Fatalf("%s: %d, %d bytes, want %d", repo, r.status, len(r.body), len(data))
		}
	}
}

// A chunk refused for its length is not appended.
func TestRefusedChunkIsNotAppended(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	loc := tr.do("POST", "/v2/eo/a/blobs/uploads/", nil).header.Get("Location")
	expect(t, "PATCH 0-3", tr.do("PATCH", loc, []byte("abcd"), "Content-Range", "0-3"), 202, "")
	req, _ := http.NewRequest("PATCH", tr.srv.URL+loc, struct{ *strings.Reader }{strings.NewReader("ef")}) // no length: chunked
	req.Header.Set("Content-Range", "4-7")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("short chunk: %d", res.StatusCode)
	}
	r := tr.do("GET", loc, nil)
	if r.header.Get("Range") != "0-3" {
		t.Fatalf("Range after a refused chunk %q, want 0-3", r.header.Get("Range"))
	}
	expect(t, "PATCH 4-7", tr.do("PATCH", loc, []byte("efgh"), "Content-Range", "4-7"), 202, "")
	d := digest.FromString("abcdefgh")
	expect(t, "PUT", tr.do("PUT", loc+"?digest="+d.String(), nil), 201, "")
	if r := tr.do("GET", "/v2/eo/a/blobs/"+d.String(), nil); string(r.body) != "abcdefgh" {
		t.Fatalf("blob %q", r.body)
	}
}

// A blob is never served or accepted as a manifest.
func TestBlobIsNotAManifest(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	fake, _ := manifestJSON(t, "", nil, ocispec.Descriptor{MediaType: "image/tiff", Digest: digest.FromString("absent"), Size: 6})
	fd := tr.pushBlob("eo/a", fake).Digest
	expect(t, "GET blob as manifest", tr.do("GET", "/v2/eo/a/manifests/"+fd.String(), nil), 404, "MANIFEST_UNKNOWN")
	layer := tr.pushBlob("eo/a", []byte("raw layer"))
	index := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
		ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageManifest, layer.Digest, layer.Size))
	expect(t, "index of a raw blob", tr.do("PUT", "/v2/eo/a/manifests/idx", index, "Content-Type", ocispec.MediaTypeImageIndex), 400, "MANIFEST_BLOB_UNKNOWN")
	// a manifest is readable through the blob endpoint, as other registries allow
	body, md := manifestJSON(t, "", nil)
	tr.pushManifest("eo/a", "v1", body)
	if r := tr.do("GET", "/v2/eo/a/blobs/"+md.String(), nil); r.status != 200 || !bytes.Equal(r.body, body) {
		t.Fatalf("manifest as blob: %d", r.status)
	}
}

// Moving a tag leaves the manifest it pointed at, untagged and still a referrer.
func TestTagMoveKeepsManifest(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	product, pd := manifestJSON(t, "application/vnd.eopack.eo.product.v1", nil)
	tr.pushManifest("eo/p", "v1", product)
	subject := &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: pd, Size: int64(len(product))}
	sig, sigd := manifestJSON(t, "application/vnd.test.sig", subject)
	tr.pushManifest("eo/p", "sig", sig)
	other, _ := manifestJSON(t, "application/vnd.test.other", nil)
	tr.pushManifest("eo/p", "sig", other)
	r := tr.do("GET", "/v2/eo/p/referrers/"+pd.String(), nil)
	var idx ocispec.Index
	json.Unmarshal(r.body, &idx)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != sigd {
		t.Fatalf("referrers after tag move: %s", r.body)
	}
	expect(t, "old manifest by digest", tr.do("GET", "/v2/eo/p/manifests/"+sigd.String(), nil), 200, "")
	if r := tr.do("GET", "/v2/eo/p/tags/list", nil); string(r.body) != `{"name":"eo/p","tags":["sig","v1"]}` {
		t.Fatalf("tags %s", r.body)
	}
}

// A tag PUT racing a DELETE of its manifest never leaves a tag that does not resolve.
func TestTagPutRacingDeleteLeavesNoDanglingTag(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	body, d := manifestJSON(t, "", nil)
	tr.pushManifest("eo/p", "base", body)
	for i := range 40 {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			tr.do("PUT", "/v2/eo/p/manifests/t", body, "Content-Type", ocispec.MediaTypeImageManifest)
		}()
		go func() { defer wg.Done(); tr.do("DELETE", "/v2/eo/p/manifests/"+d.String(), nil) }()
		wg.Wait()
		r := tr.do("GET", "/v2/eo/p/tags/list", nil)
		if r.status == 200 && strings.Contains(string(r.body), `"t"`) {
			expect(t, fmt.Sprintf("round %d: listed tag", i), tr.do("GET", "/v2/eo/p/manifests/t", nil), 200, "")
		}
		tr.do("PUT", "/v2/eo/p/manifests/base", body, "Content-Type", ocispec.MediaTypeImageManifest)
	}
}

// Repositories whose names contain "blobs" are listed like any other.
func TestCatalogListsBlobsNames(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	body, _ := manifestJSON(t, "", nil)
	for _, repo := range []string{"blobs", "x/blobs", "blobs/y"} {
		tr.pushManifest(repo, "v1", body)
	}
	if r := tr.do("GET", "/v2/_catalog", nil); string(r.body) != `{"repositories":["blobs","blobs/y","x/blobs"]}` {
		t.Fatalf("catalog %s", r.body)
	}
}

// Idle connections beyond the bound are closed to make room; a new client is served.
func TestConnGuardMakesRoom(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := newConnGuard(ln, 4)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), ConnState: g.track}
	go srv.Serve(g)
	defer srv.Close()
	var idle []net.Conn
	for range 10 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Get("http://" + ln.Addr().String() + "/")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("new client with %d idle connections open: %v %v", len(idle), res, err)
	}
	res.Body.Close()
	g.mu.Lock()
	n := len(g.conns)
	g.mu.Unlock()
	if n > 4 {
		t.Fatalf("%d connections tracked, bound 4", n)
	}
}
