// Package resume holds the integration tests of `eopack pull` resuming after the process
// was killed: a 4 GiB blob served by `eopack serve` behind a byte-counting proxy, a pull
// killed with SIGKILL half way, and a second run that must fetch only what is missing.
package resume

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/internal/testpeer"
)

const title = "big.bin"

// run is one `eopack pull` of ref into out, through proxy.
type run struct {
	t      *testing.T
	eopack string
	ref    string
	out    string
	docker string // DOCKER_CONFIG of the runs
	proxy  *testpeer.NetProxy
	digest string // of the blob
}

func newRun(t *testing.T, size int64) *run {
	t.Helper()
	began := time.Now()
	eopack := testpeer.Eopack(t) // before XDG_CACHE_HOME moves: go build keeps its cache
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("EOPACK_RANGED_MIN_SIZE", "64MiB") // the default, whatever the caller's environment
	srv := testpeer.StartServe(t, "")
	t.Logf("eopack built and serving in %v", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	d := push(t, srv.Host(), size)
	t.Logf("%d bytes pushed in %v", size, time.Since(began).Round(time.Millisecond))
	proxy := testpeer.StartNetProxy(t, srv.Host(), testpeer.NetProxyOptions{})
	return &run{t: t, eopack: eopack, ref: proxy.Addr + "/eo/big:v1", out: t.TempDir(), docker: t.TempDir(), proxy: proxy, digest: d}
}

// stream is the blob: size pseudo-random bytes, the same every time.
func stream(size int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{'r', 'e', 's', 'u', 'm', 'e'}), size)
}

// push stores the blob titled big.bin under eo/big:v1, and returns its digest. The bytes
// are generated as they are sent (a streamed PATCH, hashed on the way), never a file here.
func push(t *testing.T, host string, size int64) string {
	t.Helper()
	base := &url.URL{Scheme: "http", Host: host}
	loc := func(resp *http.Response, want int) *url.URL {
		t.Helper()
		defer resp.Body.Close()
		if resp.StatusCode != want {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("%s %s: %s, want %d: %s", resp.Request.Method, resp.Request.URL, resp.Status, want, b)
		}
		u, err := base.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	do := func(method string, u *url.URL, body io.Reader, want int) *url.URL {
		t.Helper()
		req, err := http.NewRequest(method, u.String(), body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return loc(resp, want)
	}
	up := do(http.MethodPost, base.JoinPath("/v2/eo/big/blobs/uploads/"), nil, http.StatusAccepted)
	h := sha256.New()
	up = do(http.MethodPatch, up, io.TeeReader(stream(size), h), http.StatusAccepted)
	d := digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil))
	q := up.Query()
	q.Set("digest", d.String())
	up.RawQuery = q.Encode()
	do(http.MethodPut, up, nil, http.StatusCreated)

	desc := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: d, Size: size,
		Annotations: map[string]string{ocispec.AnnotationTitle: title}}
	repo, err := orasremote.NewRepository(host + "/eo/big")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	ctx := context.Background()
	root, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.eopack.test",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{desc}})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, root, "v1"); err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func (r *run) command() *exec.Cmd {
	return testpeer.Command(context.Background(), r.out, r.docker,
		r.eopack, "pull", r.ref, "-o", r.out)
}

// killAt starts a pull and kills it with SIGKILL once at bytes have come through the
// proxy; it fails the test if the pull ends first.
func (r *run) killAt(at int64) {
	r.t.Helper()
	cmd := r.command()
	start, began := r.proxy.Down(), time.Now()
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for r.proxy.Down()-start < at {
		select {
		case err := <-exited:
			r.t.Fatalf("pull ended (%v) after %d bytes, before it could be killed at %d", err, r.proxy.Down()-start, at)
		case <-time.After(2 * time.Millisecond):
		}
	}
	cmd.Process.Kill()
	<-exited
	r.t.Logf("killed the pull after %d bytes, %v", r.proxy.Down()-start, time.Since(began).Round(time.Millisecond))
}

// pull runs a pull to its end and returns the bytes that came through the proxy and the
// output; failure says whether it must fail.
func (r *run) pull(failure bool) (int64, string) {
	r.t.Helper()
	start, began := r.proxy.Down(), time.Now()
	out, err := r.command().CombinedOutput()
	if (err != nil) != failure {
		r.t.Fatalf("pull: %v, want failure %v\n%s", err, failure, out)
	}
	n := r.proxy.Down() - start
	r.t.Logf("pull downloaded %d bytes in %v", n, time.Since(began).Round(time.Millisecond))
	return n, string(out)
}

// names lists the output folder.
func (r *run) names() []string {
	r.t.Helper()
	es, err := os.ReadDir(r.out)
	if err != nil {
		r.t.Fatal(err)
	}
	var n []string
	for _, e := range es {
		n = append(n, e.Name())
	}
	return n
}

// landed checks big.bin has the blob's digest and is alone in the folder.
func (r *run) landed() {
	r.t.Helper()
	if got := testpeer.FileDigest(r.t, filepath.Join(r.out, title)); got != r.digest {
		r.t.Fatalf("pulled %s has %s, want %s", title, got, r.digest)
	}
	if n := r.names(); !slices.Equal(n, []string{title}) {
		r.t.Fatalf("output folder holds %v, want only %s", n, title)
	}
}

// TestPullResumesAfterKill kills a pull of a 4 GiB blob half way with SIGKILL, then pulls
// again: the second run must complete, verify, and download at most 55 % of the blob.
func TestPullResumesAfterKill(t *testing.T) {
	const size = 4 << 30
	r := newRun(t, size)
	r.killAt(size / 2)
	if n := r.names(); !slices.Equal(n, []string{".big.bin.partial", ".big.bin.partial.ranges"}) {
		t.Fatalf("after the kill the folder holds %v, want only the hidden partial file and its journal", n)
	}
	n, out := r.pull(false)
	if !strings.Contains(out, "Resuming") {
		t.Fatalf("second run did not say it resumed:\n%s", out)
	}
	if n > size*55/100 {
		t.Fatalf("second run downloaded %d bytes, %.1f %% of the blob; want at most 55 %%", n, 100*float64(n)/size)
	}
	t.Logf("second run downloaded %.1f %% of the blob", 100*float64(n)/size)
	r.landed()
}

// TestCorruptPartialNeverLands kills a pull of a 256 MiB blob half way, flips one byte of
// what the journal says was received, and pulls again: that run must fail with a digest
// mismatch and leave nothing, and the run after it downloads the whole blob afresh.
func TestCorruptPartialNeverLands(t *testing.T) {
	const size = 256 << 20
	r := newRun(t, size)
	r.killAt(size / 2)
	pn := filepath.Join(r.out, ".big.bin.partial")
	off := firstJournaled(t, pn+".ranges")
	f, err := os.OpenFile(pn, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x20
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	f.Close()

	_, out := r.pull(true)
	if !strings.Contains(out, "digest mismatch") || !strings.Contains(out, "run again") {
		t.Fatalf("pull over a corrupt partial said %q, want a digest mismatch and to run again", out)
	}
	if n := r.names(); len(n) != 0 {
		t.Fatalf("after the mismatch the folder holds %v, want nothing", n)
	}
	if n, _ := r.pull(false); n < size {
		t.Fatalf("run after the mismatch downloaded %d bytes, want the whole %d", n, size)
	}
	r.landed()
}

// firstJournaled is the offset of the first byte a journal (.partial.ranges: a header
// line, then 20-byte records starting with the big-endian start offset) records.
func firstJournaled(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	var rec [20]byte
	if _, err := io.ReadFull(br, rec[:]); err != nil {
		t.Fatalf("journal records nothing: %v", err)
	}
	return int64(binary.BigEndian.Uint64(rec[:8]))
}
