package remote_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/eopack/eopack/registry"
	"github.com/eopack/eopack/remote"
)

const upChunk = 1 << 20

// blobFile writes size pseudo-random bytes to a file and returns it open, with its
// descriptor and bytes.
func blobFile(t *testing.T, size int, seed uint64) (*os.File, ocispec.Descriptor, []byte) {
	t.Helper()
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, 3))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	p := filepath.Join(t.TempDir(), "band.tif")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, content.NewDescriptorFromBytes("application/octet-stream", b), b
}

// patches counts PATCHes and the body bytes they carried; hook, when set, runs before each
// and may answer the request itself (returning true).
type patches struct {
	n, bytes atomic.Int64
	hook     func(w http.ResponseWriter, r *http.Request, n int64) bool
}

func (p *patches) wrap(_ *fixture, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch {
			next.ServeHTTP(w, r)
			return
		}
		n := p.n.Add(1)
		if p.hook != nil && p.hook(w, r, n) {
			return
		}
		r.Body = countBody{r.Body, &p.bytes}
		next.ServeHTTP(w, r)
	})
}

// dieAt returns a context cancelled, as a process that dies, when the n-th PATCH arrives;
// that PATCH is refused.
func (p *patches) dieAt(n int64) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	p.hook = func(w http.ResponseWriter, r *http.Request, k int64) bool {
		if k != n {
			return false
		}
		cancel()
		http.Error(w, "gone", http.StatusServiceUnavailable)
		return true
	}
	return ctx
}

type countBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func checkStored(t *testing.T, f *fixture, d ocispec.Descriptor, want []byte) {
	t.Helper()
	got, err := content.FetchAll(context.Background(), f.repo(), d)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("registry holds %d bytes for %s (%v), want the %d pushed", len(got), d.Digest, err, len(want))
	}
}

func TestChunkedUpload(t *testing.T) {
	var p patches
	f := newFixture(t, registry.Options{}, p.wrap)
	fh, d, b := blobFile(t, 5*upChunk+123, 1)
	u := remote.NewUploader(f.repo(), remote.UploadOptions{ChunkSize: upChunk})
	if err := u.Push(context.Background(), d, fh); err != nil {
		t.Fatal(err)
	}
	checkStored(t, f, d, b)
	if p.n.Load() != 6 || p.bytes.Load() != int64(len(b)) {
		t.Fatalf("%d PATCHes with %d bytes, want 6 with %d", p.n.Load(), p.bytes.Load(), len(b))
	}
}

// A connection cut in the middle of a chunk: the uploader asks the registry where the
// session stands and sends the rest.
func TestChunkedUploadSurvivesCutConnections(t *testing.T) {
	p := patches{}
	p.hook = func(w http.ResponseWriter, r *http.Request, n int64) bool {
		if n%3 != 2 {
			return false
		}
		io.CopyN(io.Discard, r.Body, upChunk/2)
		panic(http.ErrAbortHandler)
	}
	f := newFixture(t, registry.Options{}, p.wrap)
	fh, d, b := blobFile(t, 6*upChunk, 2)
	u := remote.NewUploader(f.repo(), remote.UploadOptions{ChunkSize: upChunk})
	if err := u.Push(context.Background(), d, fh); err != nil {
		t.Fatal(err)
	}
	checkStored(t, f, d, b)
	if n := p.n.Load(); n < 8 {
		t.Fatalf("%d PATCHes; the cut ones should have been sent again", n)
	}
}

// A proxy that refuses large bodies (413): a blob under the chunk size goes up in chunks
// after its single body is refused, and chunks shrink until they pass.
func TestUploadFallsBackToChunksOn413(t *testing.T) {
	var refused atomic.Int64
	limit := func(_ *fixture, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > 3*upChunk/2 {
				refused.Add(1)
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	f := newFixture(t, registry.Options{}, limit)
	fh, d, b := blobFile(t, 5*upChunk, 3)
	u := remote.NewUploader(f.repo(), remote.UploadOptions{ChunkSize: 8 * upChunk})
	if err := u.Push(context.Background(), d, fh); err != nil {
		t.Fatal(err)
	}
	checkStored(t, f, d, b)
	if refused.Load() < 2 {
		t.Fatalf("%d refused requests, want the whole body and the first large chunks refused", refused.Load())
	}
}

// A process that stops mid-upload leaves its session in the state folder; the next one
// continues it and sends only what the registry lacks.
func TestChunkedUploadResumesAcrossProcesses(t *testing.T) {
	for _, hashing := range []bool{false, true} {
		name := "digest known"
		if hashing {
			name = "digest computed while uploading"
		}
		t.Run(name, func(t *testing.T) {
			state := &remote.UploadState{Dir: t.TempDir()}
			var p patches
			ctx := p.dieAt(4) // the first process dies before its fourth chunk lands
			f := newFixture(t, registry.Options{}, p.wrap)
			fh, d, b := blobFile(t, 8*upChunk, 4)
			push := func(ctx context.Context) (digest.Digest, error) {
				u := remote.NewUploader(f.repo(), remote.UploadOptions{ChunkSize: upChunk, State: state})
				if hashing {
					return u.PushHashing(ctx, d.MediaType, d.Size, fh, "file-identity")
				}
				return d.Digest, u.Push(ctx, d, fh)
			}
			if _, err := push(ctx); err == nil {
				t.Fatal("the interrupted upload reported success")
			}
			if e, _ := os.ReadDir(state.Dir); len(e) != 1 {
				t.Fatalf("state folder holds %d records after the interruption, want 1", len(e))
			}
			sent := p.bytes.Load()
			got, err := push(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got != d.Digest {
				t.Fatalf("digest %s, want %s", got, d.Digest)
			}
			checkStored(t, f, d, b)
			if second := p.bytes.Load() - sent; second != 5*upChunk {
				t.Fatalf("second run sent %d bytes, want the 5 chunks the registry lacked (%d)", second, 5*upChunk)
			}
			if e, _ := os.ReadDir(state.Dir); len(e) != 0 {
				t.Fatalf("state folder holds %d records after the upload completed, want none", len(e))
			}
		})
	}
}

// A recorded session the registry no longer knows starts over.
func TestForgottenSessionStartsOver(t *testing.T) {
	state := &remote.UploadState{Dir: t.TempDir()}
	var p patches
	ctx := p.dieAt(3)
	f := newFixture(t, registry.Options{}, p.wrap)
	fh, d, b := blobFile(t, 4*upChunk, 5)
	u := remote.NewUploader(f.repo(), remote.UploadOptions{ChunkSize: upChunk, State: state})
	if err := u.Push(ctx, d, fh); err == nil {
		t.Fatal("the interrupted upload reported success")
	}
	// the registry forgets the session: point the record at one that never existed
	e, _ := os.ReadDir(state.Dir)
	if len(e) != 1 {
		t.Fatalf("%d records", len(e))
	}
	rec := filepath.Join(state.Dir, e[0].Name())
	raw, _ := os.ReadFile(rec)
	forged := strings.Replace(string(raw), "/blobs/uploads/", "/blobs/uploads/0000", 1)
	if forged == string(raw) {
		t.Fatalf("record has no upload URL: %s", raw)
	}
	os.WriteFile(rec, []byte(forged), 0o600)
	sent := p.bytes.Load()
	if err := remote.NewUploader(f.repo(), remote.UploadOptions{ChunkSize: upChunk, State: state}).Push(context.Background(), d, fh); err != nil {
		t.Fatal(err)
	}
	checkStored(t, f, d, b)
	if second := p.bytes.Load() - sent; second != int64(len(b)) {
		t.Fatalf("second run sent %d bytes, want all %d again", second, len(b))
	}
}
