package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/progress"
	"github.com/eopack/eopack/registry"
	"github.com/eopack/eopack/remote"
)

// requestLog counts a registry's blob requests by method and digest.
type requestLog struct {
	mu sync.Mutex
	n  map[string]int // "HEAD sha256:…", "UPLOAD sha256:…"
}

func (l *requestLog) take() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.n
	l.n = map[string]int{}
	return n
}

// countingRegistry is eopack's registry handler, counting blob HEADs and uploads (a POST
// or PUT with ?digest=) per digest.
func countingRegistry(t *testing.T) (string, *requestLog) {
	t.Helper()
	fs, err := registry.Open(t.Context(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	h := registry.New(fs, registry.Options{})
	log := &requestLog{n: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := ""
		switch {
		case r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/blobs/sha256:"):
			key = "HEAD " + r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		case r.URL.Query().Get("digest") != "":
			key = "UPLOAD " + r.URL.Query().Get("digest")
		}
		if key != "" {
			log.mu.Lock()
			log.n[key]++
			log.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), log
}

// Small files go up while the others are hashed, each checked once and sent once; a push
// of the same files checks each once again and sends nothing, with or without the digest
// cache.
func TestPushSendsSmallFilesOnce(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	host, log := countingRegistry(t)
	dir := t.TempDir()
	t.Chdir(dir)
	var args []string
	var digests []digest.Digest
	for i := range 40 {
		name := fmt.Sprintf("tile%02d.tif", i)
		body := strings.Repeat(name, 100+i)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
		args = append(args, name)
		digests = append(digests, digest.FromString(body))
	}
	push := func(tag string) (string, map[string]int) {
		// a manifest of its own each time: one the registry holds would be skipped whole
		out := verbsMust(t, "", append([]string{"push", "--annotation", "run=" + tag, host + "/eo/tiles:" + tag}, args...)...)
		return out, log.take()
	}
	out, n := push("v1")
	for i, d := range digests {
		if n["HEAD "+d.String()] != 1 || n["UPLOAD "+d.String()] != 1 {
			t.Errorf("first push, %s: %d HEAD, %d uploads; want 1 and 1", args[i], n["HEAD "+d.String()], n["UPLOAD "+d.String()])
		}
	}
	lines(t, "first push", out, "Uploaded  ", args, digests)
	for _, cache := range []string{"on", "off"} {
		t.Setenv("EOPACK_DIGEST_CACHE", cache)
		out, n = push("v2-" + cache)
		for i, d := range digests {
			if n["HEAD "+d.String()] != 1 || n["UPLOAD "+d.String()] != 0 {
				t.Errorf("push again, cache %s, %s: %d HEAD, %d uploads; want 1 and 0", cache, args[i], n["HEAD "+d.String()], n["UPLOAD "+d.String()])
			}
		}
		lines(t, "push again, cache "+cache, out, "Exists    ", args, digests)
	}
}

// lines checks that out says verb once for each file, as ORAS does: "<verb><12 hex> <title>".
func lines(t *testing.T, what, out, verb string, names []string, digests []digest.Digest) {
	t.Helper()
	for i, name := range names {
		if c := strings.Count(out, verb+digests[i].Encoded()[:12]+" "+name+"\n"); c != 1 {
			t.Errorf("%s: %q %d times, want once:\n%s", what, verb+name, c, out)
		}
	}
}

// A small file hashed with early uploads allowed is at the registry before any copy, and is
// reported as sent; before allowEarly, or once found at the registry, it is not sent.
func TestColdUploadsSendEarly(t *testing.T) {
	t.Setenv("EOPACK_DIGEST_CACHE", "off")
	host, log := countingRegistry(t)
	repo, err := orasremote.NewRepository(host + "/eo/early")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	dir := t.TempDir()
	file := func(name, body string) (string, digest.Digest) {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p, digest.FromString(body)
	}
	c := newColdUploads(t.Context(), repo, remote.UploadOptions{}, progress.NewPlain(io.Discard), 4)
	defer c.close()
	late, lateD := file("late.tif", "hashed before early uploads were allowed")
	if d, _, err := c.digest(late, "late.tif", ""); err != nil || d != lateD {
		t.Fatal(d, err)
	}
	c.allowEarly()
	early, earlyD := file("early.tif", "hashed after")
	if d, _, err := c.digest(early, "early.tif", ""); err != nil || d != earlyD {
		t.Fatal(d, err)
	}
	again, _ := file("again.tif", "hashed after") // the same bytes: sent once
	c.digest(again, "again.tif", "")
	c.wait()
	sent, present := c.uploaded()
	if !sent[earlyD] || sent[lateD] || len(present) != 0 {
		t.Fatalf("sent %v, present %v: want the early file sent only", sent, present)
	}
	if n := log.take(); n["UPLOAD "+earlyD.String()] != 1 || n["UPLOAD "+lateD.String()] != 0 {
		t.Fatalf("uploads %v: want one of the early file, none of the other", n)
	}

	c2 := newColdUploads(t.Context(), repo, remote.UploadOptions{}, progress.NewPlain(io.Discard), 4)
	defer c2.close()
	c2.allowEarly()
	c2.digest(early, "early.tif", "")
	c2.wait()
	if sent, present := c2.uploaded(); len(sent) != 0 || !present[earlyD] {
		t.Fatalf("second run: sent %v, present %v: want the file found, not sent", sent, present)
	}
	if n := log.take(); n["UPLOAD "+earlyD.String()] != 0 || n["HEAD "+earlyD.String()] != 1 {
		t.Fatalf("second run: %v, want one HEAD and no upload", n)
	}
}
