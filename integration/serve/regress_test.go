package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Regression tests over plain HTTP against the real `eopack serve` binary, one per defect
// class: each states the behaviour a client can rely on.

// sameBlob checks that GET blob d of repo serves exactly want.
func (srv regServer) sameBlob(t *testing.T, repo string, d digest.Digest, want []byte) {
	t.Helper()
	code, _, got := srv.do(t, "GET", "/v2/"+repo+"/blobs/"+d.String(), nil)
	if code != 200 || !bytes.Equal(got, want) {
		t.Fatalf("GET %s@%s: %d, %d bytes (digest %s), want %d bytes", repo, d, code, len(got), digest.FromBytes(got), len(want))
	}
}

// retryGone re-sends a completion PUT: the session is gone (404 BLOB_UPLOAD_UNKNOWN) or the
// blob is created again (201); anything else means the retry reached stale session state.
func (srv regServer) retryGone(t *testing.T, put string, body []byte) {
	t.Helper()
	code, _, b := srv.do(t, "PUT", put, body, "Content-Type", "application/octet-stream")
	if code != 201 && (code != 404 || regressCode(b) != "BLOB_UPLOAD_UNKNOWN") {
		t.Fatalf("retried PUT with %d bytes: %d %s, want 404 BLOB_UPLOAD_UNKNOWN or 201", len(body), code, b)
	}
}

// A client that retries the final PUT of a chunked upload (its answer was lost) never
// corrupts the blob, neither in the repository it pushed to nor in another that has it.
func TestRegressRetriedCompletion(t *testing.T) {
	data := make([]byte, 256<<10)
	rand.Read(data)
	d := digest.FromBytes(data)
	complete := func(t *testing.T, srv regServer, repo string) string {
		loc := srv.patchChunk(t, srv.startSession(t, repo), 0, data)
		put := regressPutURL(loc, d)
		if code, _, body := srv.do(t, "PUT", put, nil); code != 201 {
			t.Fatalf("PUT %s: %d %s", put, code, body)
		}
		return put
	}
	retries := func(t *testing.T, srv regServer, put string) {
		srv.retryGone(t, put, nil)
		srv.retryGone(t, put, data)
		srv.retryGone(t, put, data[len(data)-4096:])
		srv.retryGone(t, put, nil)
		for _, repo := range []string{"eo/a", "eo/b"} {
			srv.sameBlob(t, repo, d, data)
		}
		verifyBlobs(t, srv.Root)
	}
	t.Run("same server", func(t *testing.T) {
		srv := startRegress(t, "")
		srv.pushBlob(t, "eo/b", data)
		retries(t, srv, complete(t, srv, "eo/a"))
	})
	t.Run("after restart", func(t *testing.T) {
		srv := startRegress(t, "")
		srv.pushBlob(t, "eo/b", data)
		put := complete(t, srv, "eo/a")
		srv = srv.restart(t)
		retries(t, srv, put)
	})
	t.Run("later upload of an existing digest", func(t *testing.T) {
		srv := startRegress(t, "")
		srv.pushBlob(t, "eo/b", data)
		complete(t, srv, "eo/a")
		complete(t, srv, "eo/a")
		complete(t, srv, "eo/c")
		srv.pushBlob(t, "eo/a", data)
		for _, repo := range []string{"eo/a", "eo/b", "eo/c"} {
			srv.sameBlob(t, repo, d, data)
		}
		verifyBlobs(t, srv.Root)
	})
}

// Tagging a manifest while it is deleted by digest never leaves a tag that points nowhere.
func TestRegressNoDanglingTag(t *testing.T) {
	srv := startRegress(t, "")
	const repo = "eo/race"
	m := regressManifest(nil, nil, "", map[string]string{"n": "race"})
	md := digest.FromBytes(m)
	mt := ocispec.MediaTypeImageManifest
	for round := range 100 {
		srv.emptyConfig(t, repo)
		if code, _, body := srv.putManifest(t, repo, md.String(), mt, m); code != 201 {
			t.Fatalf("round %d: PUT by digest: %d %s", round, code, body)
		}
		var wg sync.WaitGroup
		var putCode, delCode int
		var putErr, delErr error
		wg.Go(func() {
			putCode, _, _, putErr = srv.send("PUT", "/v2/"+repo+"/manifests/t", m, "Content-Type", mt)
		})
		wg.Go(func() {
			delCode, _, _, delErr = srv.send("DELETE", "/v2/"+repo+"/manifests/"+md.String(), nil)
		})
		wg.Wait()
		if putErr != nil || delErr != nil || putCode >= 500 || delCode >= 500 {
			t.Fatalf("round %d: PUT tag %d %v, DELETE digest %d %v", round, putCode, putErr, delCode, delErr)
		}
		if !slices.Contains(srv.tagList(t, repo), "t") {
			continue
		}
		if code, _, body := srv.do(t, "GET", "/v2/"+repo+"/manifests/t", nil); code != 200 {
			t.Fatalf("round %d: t is listed but GET manifests/t is %d %s", round, code, body)
		}
		if code, _, body := srv.do(t, "DELETE", "/v2/"+repo+"/manifests/t", nil); code != 202 {
			t.Fatalf("round %d: t is listed but DELETE manifests/t is %d %s", round, code, body)
		}
	}
}

// Moving a tag to another manifest keeps the manifest it pointed at: still pullable by
// digest and still listed as a referrer of its subject.
func TestRegressMovedTagKeepsManifest(t *testing.T) {
	srv := startRegress(t, "")
	const repo = "eo/moved"
	mt := ocispec.MediaTypeImageManifest
	srv.emptyConfig(t, repo)
	s := regressManifest(nil, nil, "", map[string]string{"n": "subject"})
	if code, _, body := srv.putManifest(t, repo, "s", mt, s); code != 201 {
		t.Fatalf("PUT subject: %d %s", code, body)
	}
	sd := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(s), Size: int64(len(s))}
	a := regressManifest(nil, &sd, "application/vnd.test.sig", map[string]string{"n": "a"})
	ad := digest.FromBytes(a)
	if code, _, body := srv.putManifest(t, repo, "t", mt, a); code != 201 {
		t.Fatalf("PUT A:t: %d %s", code, body)
	}
	b := regressManifest(nil, nil, "", map[string]string{"n": "b"})
	if code, _, body := srv.putManifest(t, repo, "t", mt, b); code != 201 {
		t.Fatalf("PUT B:t: %d %s", code, body)
	}
	if code, h, _ := srv.do(t, "GET", "/v2/"+repo+"/manifests/t", nil); code != 200 || h.Get("Docker-Content-Digest") != digest.FromBytes(b).String() {
		t.Fatalf("GET t: %d %s, want B", code, h.Get("Docker-Content-Digest"))
	}
	if code, _, got := srv.do(t, "GET", "/v2/"+repo+"/manifests/"+ad.String(), nil); code != 200 || !bytes.Equal(got, a) {
		t.Fatalf("GET A by digest after its tag moved: %d %s", code, got)
	}
	code, _, body := srv.do(t, "GET", "/v2/"+repo+"/referrers/"+sd.Digest.String(), nil)
	if code != 200 || !strings.Contains(string(body), ad.String()) {
		t.Fatalf("referrers of S after A's tag moved: %d %s, want A %s", code, body, ad)
	}
	n := 0
	for _, tag := range srv.tagList(t, repo) {
		if tag == "t" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("tags/list shows t %d times: %v", n, srv.tagList(t, repo))
	}
}

// A blob is not a manifest because its bytes parse as one: it cannot be pulled through the
// manifests endpoint nor stand as an index's child.
func TestRegressBlobsAreNotManifests(t *testing.T) {
	srv := startRegress(t, "")
	const repo = "eo/lookalike"
	srv.emptyConfig(t, repo)
	missing := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromString("never pushed"), Size: 12}
	fake := regressManifest([]ocispec.Descriptor{missing}, nil, "", nil)
	fd := srv.pushBlob(t, repo, fake)
	for _, method := range []string{"GET", "HEAD"} {
		code, _, body := srv.do(t, method, "/v2/"+repo+"/manifests/"+fd.String(), nil)
		if code != 404 || (method == "GET" && regressCode(body) != "MANIFEST_UNKNOWN") {
			t.Errorf("%s manifests/<blob that parses as a manifest>: %d %s, want 404 MANIFEST_UNKNOWN", method, code, body)
		}
	}
	layer := make([]byte, 1024)
	rand.Read(layer)
	ld := srv.pushBlob(t, repo, layer)
	for name, child := range map[string]ocispec.Descriptor{
		"raw layer":            {MediaType: ocispec.MediaTypeImageManifest, Digest: ld, Size: int64(len(layer))},
		"manifest-shaped blob": {MediaType: ocispec.MediaTypeImageManifest, Digest: fd, Size: int64(len(fake))},
	} {
		idx := fmt.Appendf(nil, `{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
			ocispec.MediaTypeImageIndex, child.MediaType, child.Digest, child.Size)
		code, _, body := srv.putManifest(t, repo, "idx", ocispec.MediaTypeImageIndex, idx)
		if c := regressCode(body); code != 400 || (c != "MANIFEST_BLOB_UNKNOWN" && c != "MANIFEST_INVALID") {
			t.Errorf("index whose child is a %s: %d %s, want 400 MANIFEST_BLOB_UNKNOWN or MANIFEST_INVALID", name, code, body)
		}
	}
}

// Looking a large layer up as a manifest, many times at once, does not read it into memory:
// the server's resident memory stays below 100 MiB, also at its peak (VmHWM).
func TestRegressManifestLookupMemory(t *testing.T) {
	srv := startRegress(t, "")
	const repo = "eo/big"
	layer := make([]byte, 20<<20)
	rand.Read(layer)
	ld := srv.pushBlob(t, repo, layer)
	before := srv.procStatus(t, "VmRSS")
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 100 {
		wg.Go(func() {
			for range 5 {
				code, _, _, err := srv.send("GET", "/v2/"+repo+"/manifests/"+ld.String(), nil)
				if err != nil {
					code = -1
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	rss, hwm := srv.procStatus(t, "VmRSS"), srv.procStatus(t, "VmHWM")
	t.Logf("VmRSS %d MiB before, %d MiB after (peak %d MiB); answers %v", before>>20, rss>>20, hwm>>20, codes)
	if codes[404] != 500 {
		t.Errorf("GET manifests/<layer digest>: answers %v, want 500×404", codes)
	}
	if rss >= 100<<20 || hwm >= 100<<20 {
		t.Errorf("VmRSS %d MiB (peak %d MiB) after 500 manifest lookups of a 20 MiB layer, want < 100 MiB", rss>>20, hwm>>20)
	}
}

// A PATCH refused for its length appends nothing: a chunk sent without Content-Length whose
// body is shorter than its Content-Range leaves the session as it was.
func TestRegressRejectedPatchDoesNotAppend(t *testing.T) {
	srv := startRegress(t, "")
	loc := srv.patchChunk(t, srv.startSession(t, "eo/patch"), 0, []byte("abcd"))
	req, err := http.NewRequest("PATCH", "http://"+srv.Addr+loc, io.NopCloser(strings.NewReader("ef")))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Range", "4-7")
	res, err := regressClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 400 && res.StatusCode != 416 {
		t.Errorf("short chunked PATCH: %d %s, want 400 or 416", res.StatusCode, body)
	}
	code, h, _ := srv.do(t, "GET", loc, nil)
	if code != 204 || h.Get("Range") != "0-3" {
		t.Fatalf("session after the refused PATCH: %d Range %q, want 204 0-3", code, h.Get("Range"))
	}
}

// An upload session belongs to the repository that started it, also after a restart: another
// repository cannot complete it, and its own still can.
func TestRegressSessionBelongsToRepository(t *testing.T) {
	srv := startRegress(t, "")
	data := []byte("bytes uploaded to repository a")
	d := digest.FromBytes(data)
	loc := srv.patchChunk(t, srv.startSession(t, "eo/a"), 0, data)
	id := loc[strings.LastIndex(loc, "/")+1:]
	if i := strings.IndexByte(id, '?'); i >= 0 {
		id = id[:i]
	}
	other := regressPutURL("/v2/eo/b/blobs/uploads/"+id, d)
	check := func(when string) {
		t.Helper()
		if code, _, body := srv.do(t, "PUT", other, nil); code != 404 || regressCode(body) != "BLOB_UPLOAD_UNKNOWN" {
			t.Fatalf("%s: PUT of a's session in b: %d %s, want 404 BLOB_UPLOAD_UNKNOWN", when, code, body)
		}
	}
	check("before restart")
	srv = srv.restart(t)
	check("after restart")
	if code, _, body := srv.do(t, "PUT", regressPutURL(loc, d), nil); code != 201 {
		t.Fatalf("PUT of a's session in a after restart: %d %s", code, body)
	}
	srv.sameBlob(t, "eo/a", d, data)
	if code, _, _ := srv.do(t, "HEAD", "/v2/eo/b/blobs/"+d.String(), nil); code != 404 {
		t.Fatalf("blob in b: %d, want 404", code)
	}
}

// Repositories whose names contain the component "blobs", when the server accepts them at
// push, are listed by the catalog.
func TestRegressReservedNamesInCatalog(t *testing.T) {
	srv := startRegress(t, "")
	m := regressManifest(nil, nil, "", nil)
	var pushed []string
	for _, repo := range []string{"blobs", "x/blobs"} {
		code, _, body := srv.do(t, "POST", "/v2/"+repo+"/blobs/uploads/?digest="+ocispec.DescriptorEmptyJSON.Digest.String(), ocispec.DescriptorEmptyJSON.Data)
		if code == 400 && regressCode(body) == "NAME_INVALID" {
			t.Logf("%s refused at push: %s", repo, body)
			continue
		}
		if code != 201 {
			t.Fatalf("push config to %s: %d %s", repo, code, body)
		}
		if code, _, body := srv.putManifest(t, repo, "v1", ocispec.MediaTypeImageManifest, m); code != 201 {
			t.Fatalf("push manifest to %s: %d %s", repo, code, body)
		}
		pushed = append(pushed, repo)
	}
	code, _, body := srv.do(t, "GET", "/v2/_catalog", nil)
	for _, repo := range pushed {
		if code != 200 || !strings.Contains(string(body), strconv.Quote(repo)) {
			t.Errorf("_catalog: %d %s, want %s listed", code, body, repo)
		}
	}
}

// A manifest that references a blob the repository lacks is refused with 400
// MANIFEST_BLOB_UNKNOWN, as distribution answers.
func TestRegressManifestBlobUnknown(t *testing.T) {
	srv := startRegress(t, "")
	missing := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromString("absent layer"), Size: 12}
	t.Run("config", func(t *testing.T) {
		code, _, body := srv.putManifest(t, "eo/nocfg", "v1", ocispec.MediaTypeImageManifest, regressManifest(nil, nil, "", nil))
		if code != 400 || regressCode(body) != "MANIFEST_BLOB_UNKNOWN" {
			t.Errorf("missing config: %d %s, want 400 MANIFEST_BLOB_UNKNOWN", code, body)
		}
	})
	t.Run("layer", func(t *testing.T) {
		srv.emptyConfig(t, "eo/nolayer")
		code, _, body := srv.putManifest(t, "eo/nolayer", "v1", ocispec.MediaTypeImageManifest, regressManifest([]ocispec.Descriptor{missing}, nil, "", nil))
		if code != 400 || regressCode(body) != "MANIFEST_BLOB_UNKNOWN" {
			t.Errorf("missing layer: %d %s, want 400 MANIFEST_BLOB_UNKNOWN", code, body)
		}
	})
}

// Idle connections do not starve the server: with 256 file descriptors and 300 clients that
// connect and send nothing (or half a request line), a new client is still answered.
func TestRegressIdleConnections(t *testing.T) {
	t.Parallel()
	srv := startRegress(t, "")
	pid := strconv.Itoa(srv.Cmd.Process.Pid)
	if out, err := exec.Command("prlimit", "--pid", pid, "--nofile=256:256").CombinedOutput(); err != nil {
		t.Fatalf("prlimit: %v %s", err, out)
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 300 {
		c, err := net.DialTimeout("tcp", srv.Addr, 5*time.Second)
		if err != nil {
			t.Logf("idle connection %d: %v", i, err)
			break
		}
		if i%2 == 1 {
			c.Write([]byte("GET /v2/ HT"))
		}
		conns = append(conns, c)
	}
	time.Sleep(500 * time.Millisecond) // the server accepts what it can
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	res, err := fresh.Get("http://" + srv.Addr + "/v2/")
	if err != nil {
		t.Fatalf("GET /v2/ with %d idle connections open: %v after %s", len(conns), err, time.Since(start).Round(time.Millisecond))
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /v2/ with %d idle connections open: %d", len(conns), res.StatusCode)
	}
	t.Logf("GET /v2/ answered in %s with %d idle connections open", time.Since(start).Round(time.Millisecond), len(conns))
}

// A PATCH whose body trickles in does not block the status of its session.
func TestRegressSlowPatchDoesNotBlockStatus(t *testing.T) {
	t.Parallel()
	srv := startRegress(t, "")
	loc := srv.startSession(t, "eo/slow")
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	defer func() {
		cancel()
		pw.CloseWithError(io.ErrClosedPipe)
		<-done
	}()
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "PATCH", "http://"+srv.Addr+loc, pr)
		req.Header.Set("Content-Type", "application/octet-stream")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	pw.Write(make([]byte, 4096))
	time.Sleep(300 * time.Millisecond) // the PATCH is in the handler, waiting for more body
	status := &http.Client{Timeout: 10 * time.Second}
	start := time.Now()
	res, err := status.Get("http://" + srv.Addr + loc)
	if err != nil {
		t.Fatalf("GET session status during a slow PATCH: %v after %s", err, time.Since(start).Round(time.Millisecond))
	}
	res.Body.Close()
	if res.StatusCode != 204 {
		t.Fatalf("GET session status during a slow PATCH: %d", res.StatusCode)
	}
	t.Logf("status answered in %s, Range %q", time.Since(start).Round(time.Millisecond), res.Header.Get("Range"))
}

// Basic auth takes about as long for an unknown user as for a known user with a wrong
// password, so response times do not tell which user names exist.
func TestRegressHtpasswdTiming(t *testing.T) {
	hp := filepath.Join(t.TempDir(), "htpasswd")
	if out, err := exec.Command("htpasswd", "-B", "-C", "8", "-b", "-c", hp, "eo", "s3cret").CombinedOutput(); err != nil {
		t.Fatalf("htpasswd: %v %s", err, out)
	}
	srv := startRegress(t, "", "--htpasswd", hp)
	timed := func(user string) time.Duration {
		req, _ := http.NewRequest("GET", "http://"+srv.Addr+"/v2/", nil)
		req.SetBasicAuth(user, "wrong password")
		start := time.Now()
		res, err := regressClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		el := time.Since(start)
		if res.StatusCode != 401 {
			t.Fatalf("%s with a wrong password: %d", user, res.StatusCode)
		}
		return el
	}
	timed("eo") // warm the connection
	var known, unknown []time.Duration
	for range 30 {
		known = append(known, timed("eo"))
		unknown = append(unknown, timed("nobody"))
	}
	median := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	k, u := median(known), median(unknown)
	ratio := float64(max(k, u)) / float64(max(min(k, u), 1))
	t.Logf("median of 30: known user, wrong password %s; unknown user %s; ratio %.1f", k, u, ratio)
	if ratio > 3 {
		t.Fatalf("known user %s vs unknown user %s: ratio %.1f > 3 tells user names apart", k, u, ratio)
	}
}
