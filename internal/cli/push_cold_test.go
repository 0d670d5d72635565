package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/progress"
	"github.com/eopack/eopack/remote"
)

// Small files go up while the others are hashed, each checked once and sent once; a push
// of the same files checks each once again and sends nothing, with or without the digest
// cache.
func TestPushSendsSmallFilesOnce(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	c, host := newUploadCounter(t)
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
	push := func(tag string) (string, map[string]int, map[string]int) {
		// a manifest of its own each time: one the registry holds would be skipped whole
		out := verbsMust(t, "", append([]string{"push", "--annotation", "run=" + tag, host + "/eo/tiles:" + tag}, args...)...)
		up, heads := c.take()
		return out, up, heads
	}
	out, up, heads := push("v1")
	for i, d := range digests {
		if heads[d.String()] != 1 || up[d.String()] != 1 {
			t.Errorf("first push, %s: %d HEAD, %d uploads; want 1 and 1", args[i], heads[d.String()], up[d.String()])
		}
	}
	lines(t, "first push", out, "Uploaded  ", args, digests)
	for _, cache := range []string{"on", "off"} {
		t.Setenv("EOPACK_DIGEST_CACHE", cache)
		out, up, heads = push("v2-" + cache)
		for i, d := range digests {
			if heads[d.String()] != 1 || up[d.String()] != 0 {
				t.Errorf("push again, cache %s, %s: %d HEAD, %d uploads; want 1 and 0", cache, args[i], heads[d.String()], up[d.String()])
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
	c, host := newUploadCounter(t)
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
	cu := newColdUploads(t.Context(), repo, remote.UploadOptions{}, progress.NewPlain(io.Discard), 4)
	defer cu.close()
	late, lateD := file("late.tif", "hashed before early uploads were allowed")
	if d, _, err := cu.digest(late, "late.tif", ""); err != nil || d != lateD {
		t.Fatal(d, err)
	}
	cu.allowEarly()
	early, earlyD := file("early.tif", "hashed after")
	if d, _, err := cu.digest(early, "early.tif", ""); err != nil || d != earlyD {
		t.Fatal(d, err)
	}
	again, _ := file("again.tif", "hashed after") // the same bytes: sent once
	cu.digest(again, "again.tif", "")
	cu.wait()
	sent, present := cu.uploaded()
	if !sent[earlyD] || sent[lateD] || len(present) != 0 {
		t.Fatalf("sent %v, present %v: want the early file sent only", sent, present)
	}
	if up, _ := c.take(); up[earlyD.String()] != 1 || up[lateD.String()] != 0 {
		t.Fatalf("uploads %v: want one of the early file, none of the other", up)
	}

	c2 := newColdUploads(t.Context(), repo, remote.UploadOptions{}, progress.NewPlain(io.Discard), 4)
	defer c2.close()
	c2.allowEarly()
	c2.digest(early, "early.tif", "")
	c2.wait()
	if sent, present := c2.uploaded(); len(sent) != 0 || !present[earlyD] {
		t.Fatalf("second run: sent %v, present %v: want the file found, not sent", sent, present)
	}
	if up, heads := c.take(); up[earlyD.String()] != 0 || heads[earlyD.String()] != 1 {
		t.Fatalf("second run: uploads %v, HEADs %v: want one HEAD and no upload", up, heads)
	}
}
