package remote_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/crypto/bcrypt"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/eopack/eopack/files"
	"github.com/eopack/eopack/registry"
	"github.com/eopack/eopack/remote"
)

const chunk = 256 << 10 // small chunks: many ranges for small blobs

// fixture is eopack's registry handler on httptest, optionally behind a wrapper that
// misbehaves, with counters of the blob GETs it saw.
type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	opt    registry.Options
	user   string
	pass   string
	ranges atomic.Int64 // blob GETs that carried Range
	gets   atomic.Int64 // all blob GETs
	asked  atomic.Int64 // bytes the Range headers of blob GETs asked for
}

type wrapFunc func(f *fixture, next http.Handler) http.Handler

// newPrivateFixture is newFixture behind basic auth for pulls too, with the fixture's
// credentials set to the one user ("eo", "s3cret").
func newPrivateFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	pw := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(pw, []byte("eo:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := registry.LoadHtpasswd(pw)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, registry.Options{Auth: h, Private: true}, nil)
	f.user, f.pass = "eo", "s3cret"
	return f
}

func newFixture(t *testing.T, opt registry.Options, wrap wrapFunc) *fixture {
	t.Helper()
	store, err := registry.Open(t.Context(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{t: t, opt: opt}
	var h http.Handler = registry.New(store, opt)
	if wrap != nil {
		h = wrap(f, h)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			f.gets.Add(1)
			if rng := r.Header.Get("Range"); rng != "" {
				f.ranges.Add(1)
				var start, end int64
				if n, _ := fmt.Sscanf(rng, "bytes=%d-%d", &start, &end); n == 2 {
					f.asked.Add(end - start + 1)
				}
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) repo() *orasremote.Repository {
	f.t.Helper()
	repo, err := orasremote.NewRepository(strings.TrimPrefix(f.srv.URL, "http://") + "/eo/product")
	if err != nil {
		f.t.Fatal(err)
	}
	repo.PlainHTTP = true
	c := &auth.Client{Client: http.DefaultClient, Cache: auth.NewCache()}
	if f.user != "" {
		c.Credential = auth.StaticCredential(repo.Reference.Registry, auth.Credential{Username: f.user, Password: f.pass})
	}
	repo.Client = c
	return repo
}

// push stores size random bytes and returns their descriptor (titled "band.tif") and bytes.
func (f *fixture) push(size int64) (ocispec.Descriptor, []byte) {
	f.t.Helper()
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(size), 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	desc := ocispec.Descriptor{MediaType: "image/tiff", Digest: digest.FromBytes(b), Size: size,
		Annotations: map[string]string{ocispec.AnnotationTitle: "band.tif"}}
	if err := f.repo().Push(context.Background(), desc, bytes.NewReader(b)); err != nil {
		f.t.Fatal(err)
	}
	return desc, b
}

// pull fetches desc with a Ranged fetcher (4 parallel ranges of `chunk` bytes, every blob
// larger than one chunk ranged) into a fresh folder through files.Writer.
func (f *fixture) pull(desc ocispec.Descriptor) (string, error) {
	f.t.Helper()
	dir := f.t.TempDir()
	return dir, f.pullInto(dir, desc)
}

// pullInto is pull into a given folder, as a run of `eopack pull` again would.
func (f *fixture) pullInto(dir string, desc ocispec.Descriptor) error {
	f.t.Helper()
	w, err := files.NewWriter(dir, false)
	if err != nil {
		f.t.Fatal(err)
	}
	defer w.Close()
	r := remote.NewRanged(f.repo(), 4, 1)
	r.ChunkSize = chunk
	rc, err := r.Fetch(context.Background(), desc)
	if err != nil {
		return err
	}
	defer rc.Close()
	return w.Write(context.Background(), desc, rc)
}

// entries lists every name under dir (relative, sorted by WalkDir).
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	return out
}

func TestRangedBytesAroundChunkBoundaries(t *testing.T) {
	f := newFixture(t, registry.Options{}, nil)
	for _, size := range []int64{chunk, chunk + 1, 2*chunk - 1, 2 * chunk, 2*chunk + 1, 9*chunk + 12345} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			desc, want := f.push(size)
			before := f.ranges.Load()
			dir, err := f.pull(desc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, "band.tif"))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("pulled %d bytes (err %v), want the %d pushed", len(got), err, size)
			}
			if e := entries(t, dir); len(e) != 1 {
				t.Fatalf("folder holds %v, want only band.tif", e)
			}
			n := f.ranges.Load() - before
			wantRanges := (size + chunk - 1) / chunk
			if size <= chunk {
				wantRanges = 0 // one chunk or less: one plain stream
			}
			if n != wantRanges {
				t.Fatalf("%d range requests, want %d", n, wantRanges)
			}
		})
	}
}

// ignoreRange drops the Range header: the registry answers 200 with the whole blob.
func ignoreRange(_ *fixture, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Range")
		next.ServeHTTP(w, r)
	})
}

func TestRangeIgnoredFallsBackToOneStream(t *testing.T) {
	f := newFixture(t, registry.Options{}, ignoreRange)
	desc, want := f.push(5*chunk + 7)
	f.gets.Store(0)
	dir, err := f.pull(desc)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "band.tif"))
	if !bytes.Equal(got, want) {
		t.Fatalf("pulled %d bytes, want the %d pushed", len(got), len(want))
	}
	if n := f.gets.Load(); n != 1 {
		t.Fatalf("%d blob GETs, want 1 (the probe's full answer is the stream)", n)
	}
}

// recorded runs next into a recorder, for wrappers that rewrite an answer.
func recorded(next http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

func writeRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(body)
}

func TestWrongBytesInOneRangeIsDigestMismatch(t *testing.T) {
	bad := fmt.Sprintf("bytes=%d-%d", 2*chunk, 3*chunk-1)
	corrupt := func(_ *fixture, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Range") != bad {
				next.ServeHTTP(w, r)
				return
			}
			rec := recorded(next, r)
			b := rec.Body.Bytes()
			b[len(b)/2] ^= 0xff
			writeRecorded(w, rec, b)
		})
	}
	f := newFixture(t, registry.Options{}, corrupt)
	desc, _ := f.push(4*chunk + 99)
	dir, err := f.pull(desc)
	if !errors.Is(err, files.ErrDigestMismatch) {
		t.Fatalf("got %v, want a digest mismatch", err)
	}
	if e := entries(t, dir); len(e) != 0 {
		t.Fatalf("folder holds %v after a mismatch, want nothing", e)
	}
}

// cutRange answers a range that starts inside the fourth chunk with half its bytes, then
// drops the connection; times says how often (0: always).
func cutRange(times int64) wrapFunc {
	var cuts atomic.Int64
	return func(_ *fixture, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var start int64
			fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &start)
			if start < 3*chunk || start >= 4*chunk || (times > 0 && cuts.Load() >= times) {
				next.ServeHTTP(w, r)
				return
			}
			cuts.Add(1)
			rec := recorded(next, r)
			writeRecorded(w, rec, rec.Body.Bytes()[:rec.Body.Len()/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		})
	}
}

func TestMidTransferFailureLeavesOnlyAPartialToResume(t *testing.T) {
	var cutting atomic.Bool
	cutting.Store(true)
	cut := cutRange(0)
	f := newFixture(t, registry.Options{}, func(f *fixture, next http.Handler) http.Handler {
		c := cut(f, next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if cutting.Load() {
				c.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	desc, want := f.push(12 * chunk)
	dir, err := f.pull(desc)
	if err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Fatalf("got %v, want the failed range named", err)
	}
	if e := entries(t, dir); !slices.Equal(e, []string{".band.tif.partial", ".band.tif.partial.ranges"}) {
		t.Fatalf("folder holds %v after a failed pull, want only the hidden partial file and its journal", e)
	}
	cutting.Store(false)
	f.asked.Store(0)
	if err := f.pullInto(dir, desc); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "band.tif")); !bytes.Equal(got, want) {
		t.Fatalf("pulled %d bytes, want the %d pushed", len(got), len(want))
	}
	if e := entries(t, dir); len(e) != 1 {
		t.Fatalf("folder holds %v, want band.tif alone", e)
	}
	t.Logf("second run asked for %d of %d bytes", f.asked.Load(), desc.Size)
	// the first run got chunks 0-2 and most of chunk 3 before it failed
	if n := f.asked.Load(); n >= desc.Size-3*chunk {
		t.Fatalf("second run asked for %d of %d bytes, want less than all but the first 3 chunks", n, desc.Size)
	}
}

func TestBrokenRangeIsResumed(t *testing.T) {
	f := newFixture(t, registry.Options{}, cutRange(1))
	desc, want := f.push(6 * chunk)
	dir, err := f.pull(desc)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "band.tif")); !bytes.Equal(got, want) {
		t.Fatalf("pulled %d bytes, want the %d pushed", len(got), len(want))
	}
	if n := f.ranges.Load(); n != 7 {
		t.Fatalf("%d range requests, want 6 + 1 for the rest of the broken one", n)
	}
}

// redirect sends blob GETs to "storage" (the same server with ?storage=1) and records the
// Range headers that arrive there.
func redirect(seen *sync.Map) wrapFunc {
	return func(_ *fixture, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
				next.ServeHTTP(w, r)
				return
			}
			if r.URL.Query().Get("storage") == "" {
				http.Redirect(w, r, r.URL.Path+"?storage=1", http.StatusTemporaryRedirect)
				return
			}
			seen.Store(r.Header.Get("Range"), true)
			next.ServeHTTP(w, r)
		})
	}
}

func TestRangesFollowRedirects(t *testing.T) {
	var seen sync.Map
	f := newFixture(t, registry.Options{}, redirect(&seen))
	desc, want := f.push(3*chunk + 1)
	dir, err := f.pull(desc)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "band.tif")); !bytes.Equal(got, want) {
		t.Fatalf("pulled %d bytes, want the %d pushed", len(got), len(want))
	}
	for i := int64(0); i < 4; i++ {
		r := fmt.Sprintf("bytes=%d-%d", i*chunk, min((i+1)*chunk, desc.Size)-1)
		if _, ok := seen.Load(r); !ok {
			t.Errorf("storage never saw Range %q", r)
		}
	}
}

func TestRangesCarryCredentials(t *testing.T) {
	f := newPrivateFixture(t)
	desc, want := f.push(4 * chunk)
	out, err := f.pull(desc)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "band.tif")); !bytes.Equal(got, want) {
		t.Fatalf("pulled %d bytes, want the %d pushed", len(got), len(want))
	}
	if n := f.ranges.Load(); n < 4 {
		t.Fatalf("%d range requests, want at least 4", n)
	}
	f.user = ""
	if _, err := f.pull(desc); err == nil {
		t.Fatal("pull without credentials from a private registry succeeded")
	}
}

func TestNewFetcherThreshold(t *testing.T) {
	f := newFixture(t, registry.Options{}, nil)
	repo := f.repo()
	if _, ok := remote.NewFetcher(repo, 5).(*remote.Ranged); !ok {
		t.Fatal("a repository with concurrency 5 did not get a Ranged fetcher")
	}
	if _, ok := remote.NewFetcher(repo, 1).(*remote.Ranged); ok {
		t.Fatal("concurrency 1 got a Ranged fetcher")
	}
	for in, want := range map[string]int64{"": 0, "off": -1, "0": 1, "1048576": 1 << 20, "64MiB": 64 << 20, "2GiB": 2 << 30} {
		if got, err := remote.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := remote.ParseSize("lots"); err == nil {
		t.Error("ParseSize(lots) succeeded")
	}
}
