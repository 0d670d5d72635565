package serve

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/testpeer"
)

// SIGKILL in the middle of a large chunked upload: after a restart over the same root every
// visible blob matches its digest, the session reports what it holds, and the upload resumes
// from there to a correct blob.
func TestCrashMidUploadThenResume(t *testing.T) {
	root := t.TempDir()
	srv := testpeer.StartServe(t, root)
	size := 64 << 20
	data := make([]byte, size)
	rand.Read(data)
	d := digest.FromBytes(data)
	code, h, _ := httpDo(t, srv, "POST", "/v2/eo/products/blobs/uploads/", nil)
	if code != 202 {
		t.Fatalf("POST: %d", code)
	}
	loc := h.Get("Location")
	// stream the body slowly: the first 24 MiB, then stall until the server is killed
	pr, pw := io.Pipe()
	go func() {
		pw.Write(data[:24<<20])
		time.Sleep(time.Minute)
		pw.Close()
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest("PATCH", "http://"+srv.Addr+loc, pr)
		req.Header.Set("Content-Type", "application/octet-stream")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	session := filepath.Join(root, "_uploads", loc[strings.LastIndex(loc, "/")+1:])
	deadline := time.Now().Add(30 * time.Second)
	for {
		if fi, err := os.Stat(session); err == nil && fi.Size() >= 16<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("upload did not progress")
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.Cmd.Process.Signal(syscall.SIGKILL)
	srv.Cmd.Wait()
	pw.CloseWithError(io.ErrClosedPipe)
	<-done

	srv = testpeer.StartServe(t, root)
	verifyBlobs(t, root)
	if code, _, _ := httpDo(t, srv, "HEAD", "/v2/eo/products/blobs/"+d.String(), nil); code != 404 {
		t.Fatalf("incomplete blob is visible: %d", code)
	}
	code, h, _ = httpDo(t, srv, "GET", loc, nil)
	if code != 204 {
		t.Fatalf("session status after restart: %d", code)
	}
	have, err := strconv.Atoi(strings.TrimPrefix(h.Get("Range"), "0-"))
	if err != nil || have < 16<<20-1 || have >= size {
		t.Fatalf("Range %q after restart", h.Get("Range"))
	}
	next := have + 1
	code, h, body := httpDo(t, srv, "PATCH", loc, bytes.NewReader(data[next:]), "Content-Range", fmt.Sprintf("%d-%d", next, size-1))
	if code != 202 {
		t.Fatalf("resume PATCH: %d %s", code, body)
	}
	if code, _, body := httpDo(t, srv, "PUT", h.Get("Location")+"?digest="+d.String(), nil); code != 201 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, _, got := httpDo(t, srv, "GET", "/v2/eo/products/blobs/"+d.String(), nil)
	if code != 200 || !bytes.Equal(got, data) {
		t.Fatalf("resumed blob: %d, %d bytes", code, len(got))
	}
	if n := verifyBlobs(t, root); n != 2 {
		t.Fatalf("%d blob files, want 2 (pool + repository)", n)
	}
}

// SIGKILL while manifests are being written: after a restart index.json is valid JSON, every
// listed manifest is present and every blob matches its digest; pushing again works.
func TestCrashMidManifestWrites(t *testing.T) {
	root := t.TempDir()
	srv := testpeer.StartServe(t, root)
	empty := ocispec.DescriptorEmptyJSON
	httpDo(t, srv, "POST", "/v2/eo/products/blobs/uploads/?digest="+empty.Digest.String(), bytes.NewReader(empty.Data))
	manifest := func(i int) []byte {
		b, _ := json.Marshal(ocispec.Manifest{
			Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: ocispec.MediaTypeImageManifest, Config: empty, Layers: []ocispec.Descriptor{},
			Annotations: map[string]string{"n": strconv.Itoa(i)},
		})
		return b
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i += 4 {
				req, _ := http.NewRequest("PUT", fmt.Sprintf("http://%s/v2/eo/products/manifests/t%d", srv.Addr, i), bytes.NewReader(manifest(i)))
				req.Header.Set("Content-Type", ocispec.MediaTypeImageManifest)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				res.Body.Close()
				if res.StatusCode != 201 {
					t.Errorf("PUT t%d: %d", i, res.StatusCode)
					return
				}
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	for deadline := time.Now().Add(time.Minute); ; {
		mu.Lock()
		n := ok
		mu.Unlock()
		if n >= 50 {
			break
		}
		if time.Now().After(deadline) || t.Failed() {
			t.Fatalf("only %d manifests pushed", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.Cmd.Process.Signal(syscall.SIGKILL)
	srv.Cmd.Wait()
	wg.Wait()

	data, err := os.ReadFile(filepath.Join(root, "eo/products/index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatalf("index.json after SIGKILL: %v", err)
	}
	if len(idx.Manifests) < 50 {
		t.Fatalf("index.json lists %d manifests, %d were acknowledged", len(idx.Manifests), ok)
	}
	for _, m := range idx.Manifests {
		if _, err := os.Stat(filepath.Join(root, "eo/products/blobs/sha256", m.Digest.Encoded())); err != nil {
			t.Errorf("listed manifest %s missing: %v", m.Digest, err)
		}
	}
	verifyBlobs(t, root)
	srv = testpeer.StartServe(t, root)
	for _, m := range idx.Manifests {
		ref := m.Annotations[ocispec.AnnotationRefName]
		if ref == "" { // pushed, not yet tagged when the server died
			ref = m.Digest.String()
		}
		code, h, body := httpDo(t, srv, "GET", "/v2/eo/products/manifests/"+ref, nil)
		if code != 200 || digest.FromBytes(body) != m.Digest || h.Get("Docker-Content-Digest") != m.Digest.String() {
			t.Fatalf("GET %s after restart: %d", ref, code)
		}
	}
	req := manifest(-1)
	if code, _, body := httpDo(t, srv, "PUT", "/v2/eo/products/manifests/again", bytes.NewReader(req), "Content-Type", ocispec.MediaTypeImageManifest); code != 201 {
		t.Fatalf("push after restart: %d %s", code, body)
	}
}

// An upload session left alone for longer than --upload-ttl is removed with its bytes.
func TestStaleUploadRemovedAfterTTL(t *testing.T) {
	srv := testpeer.StartServe(t, "", "--upload-ttl", "1s")
	_, h, _ := httpDo(t, srv, "POST", "/v2/eo/products/blobs/uploads/", nil)
	loc := h.Get("Location")
	if code, _, _ := httpDo(t, srv, "PATCH", loc, bytes.NewReader(make([]byte, 1000))); code != 202 {
		t.Fatalf("PATCH: %d", code)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, _, _ := httpDo(t, srv, "GET", loc, nil)
		if code == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session still there after 30s with --upload-ttl 1s: %d", code)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(srv.Root, "_uploads")); len(ents) != 0 {
		t.Fatalf("%d session files left", len(ents))
	}
}
