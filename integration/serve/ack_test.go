package serve

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/internal/testpeer"
)

// SIGKILL right after a run of acknowledged chunks, whose last records may still be in
// progress: after a restart the session reports a Range whose bytes are all there (at most
// what was acknowledged), a chunk sent past it is refused with that Range, and the upload
// resumes from it to the right blob.
func TestCrashAfterAcknowledgedChunks(t *testing.T) {
	root := t.TempDir()
	srv := testpeer.StartServe(t, root)
	const chunk = 4 << 20
	data := make([]byte, 6*chunk)
	rand.Read(data)
	d := digest.FromBytes(data)
	code, h, _ := httpDo(t, srv, "POST", "/v2/eo/products/blobs/uploads/", nil)
	if code != 202 {
		t.Fatalf("POST: %d", code)
	}
	loc := h.Get("Location")
	acked := 5 * chunk
	for off := 0; off < acked; off += chunk {
		code, h, body := httpDo(t, srv, "PATCH", loc, bytes.NewReader(data[off:off+chunk]),
			"Content-Range", fmt.Sprintf("%d-%d", off, off+chunk-1))
		if code != 202 || h.Get("Range") != fmt.Sprintf("0-%d", off+chunk-1) {
			t.Fatalf("PATCH at %d: %d %q %s", off, code, h.Get("Range"), body)
		}
		loc = h.Get("Location")
	}
	srv.Cmd.Process.Signal(syscall.SIGKILL)
	srv.Cmd.Wait()

	srv = testpeer.StartServe(t, root)
	verifyBlobs(t, root)
	code, h, _ = httpDo(t, srv, "GET", loc, nil)
	if code != 204 {
		t.Fatalf("session status after restart: %d", code)
	}
	have := 0
	if r := h.Get("Range"); r != "0-0" {
		end, err := strconv.Atoi(strings.TrimPrefix(r, "0-"))
		if err != nil || end+1 > acked {
			t.Fatalf("Range %q after restart, %d bytes acknowledged", r, acked)
		}
		have = end + 1
	}
	t.Logf("%d of %d acknowledged bytes recorded when the server was killed", have, acked)
	if have < acked {
		code, h, _ := httpDo(t, srv, "PATCH", loc, bytes.NewReader(data[acked:]), "Content-Range", fmt.Sprintf("%d-%d", acked, len(data)-1))
		want := "0-0"
		if have > 0 {
			want = fmt.Sprintf("0-%d", have-1)
		}
		if code != 416 || h.Get("Range") != want {
			t.Fatalf("chunk past the recorded %d bytes: %d, Range %q", have, code, h.Get("Range"))
		}
	}
	code, h, body := httpDo(t, srv, "PATCH", loc, bytes.NewReader(data[have:]), "Content-Range", fmt.Sprintf("%d-%d", have, len(data)-1))
	if code != 202 {
		t.Fatalf("resume PATCH from %d: %d %s", have, code, body)
	}
	if code, _, body := httpDo(t, srv, "PUT", h.Get("Location")+"?digest="+d.String(), nil); code != 201 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, _, got := httpDo(t, srv, "GET", "/v2/eo/products/blobs/"+d.String(), nil)
	if code != 200 || !bytes.Equal(got, data) {
		t.Fatalf("resumed blob: %d, %d bytes", code, len(got))
	}
}
