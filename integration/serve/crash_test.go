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
	// the server acknowledges a long body every 16 MiB: wait until the session reports
	// the first 16 MiB, while the PATCH is still streaming
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, h, _ := httpDo(t, srv, "GET", loc, nil)
		if end, err := strconv.Atoi(strings.TrimPrefix(h.Get("Range"), "0-")); err == nil && end >= 16<<20-1 {
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
	if n := verifyBlobs(t, root); n != 1 {
		t.Fatalf("%d blob files, want 1", n)
	}
}

// SIGKILL while manifests are being written: after a restart every acknowledged tag is
// listed and resolves to its manifest, every listed tag resolves, every blob matches its
// digest, and pushing again works.
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
	acked := map[string]digest.Digest{}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ; i += 4 {
				body := manifest(i)
				tag := fmt.Sprintf("t%d", i)
				req, _ := http.NewRequest("PUT", fmt.Sprintf("http://%s/v2/eo/products/manifests/%s", srv.Addr, tag), bytes.NewReader(body))
				req.Header.Set("Content-Type", ocispec.MediaTypeImageManifest)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				res.Body.Close()
				if res.StatusCode != 201 {
					t.Errorf("PUT %s: %d", tag, res.StatusCode)
					return
				}
				mu.Lock()
				acked[tag] = digest.FromBytes(body)
				mu.Unlock()
			}
		}()
	}
	for deadline := time.Now().Add(time.Minute); ; {
		mu.Lock()
		n := len(acked)
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

	verifyBlobs(t, root)
	srv = testpeer.StartServe(t, root)
	code, _, body := httpDo(t, srv, "GET", "/v2/eo/products/tags/list", nil)
	var list struct{ Tags []string }
	if code != 200 || json.Unmarshal(body, &list) != nil {
		t.Fatalf("tags/list after restart: %d %s", code, body)
	}
	listed := map[string]bool{}
	for _, tag := range list.Tags {
		listed[tag] = true
		n, _ := strconv.Atoi(strings.TrimPrefix(tag, "t"))
		code, h, body := httpDo(t, srv, "GET", "/v2/eo/products/manifests/"+tag, nil)
		if want := digest.FromBytes(manifest(n)); code != 200 || digest.FromBytes(body) != want || h.Get("Docker-Content-Digest") != want.String() {
			t.Fatalf("GET %s after restart: %d", tag, code)
		}
	}
	for tag := range acked {
		if !listed[tag] {
			t.Errorf("acknowledged tag %s lost", tag)
		}
	}
	if code, _, body := httpDo(t, srv, "PUT", "/v2/eo/products/manifests/again", bytes.NewReader(manifest(-1)), "Content-Type", ocispec.MediaTypeImageManifest); code != 201 {
		t.Fatalf("push after restart: %d %s", code, body)
	}
}

// An upload session left alone for longer than --upload-ttl is removed with its bytes.
func TestStaleUploadRemovedAfterTTL(t *testing.T) {
	srv := testpeer.StartServe(t, "", "--upload-ttl", "1s", "--gc-interval", "200ms")
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
	if ents, _ := os.ReadDir(filepath.Join(srv.Root, "_blobs", ".uploads")); len(ents) != 0 {
		t.Fatalf("%d session files left", len(ents))
	}
}
