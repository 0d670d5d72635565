package registry

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// chunkedUpload PATCHes data in chunks of size chunk with Content-Range, each to the server
// next picks, checking each 202's Range and, after each, that the metadata's record of the
// session is backed by the bytes (its hash state is the hash of exactly its first Size
// bytes, never more than were sent); then completes it with PUT on next's last pick.
func chunkedUpload(t *testing.T, st *Storage, next func(i int) *httptest.Server, repo string, data []byte, chunk int) digest.Digest {
	t.Helper()
	d := digest.FromBytes(data)
	do := func(srv *httptest.Server, method, u string, body []byte, hdr ...string) *http.Response {
		t.Helper()
		if !strings.HasPrefix(u, "http") {
			u = srv.URL + u
		}
		req, _ := http.NewRequest(method, u, bytes.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := do(next(0), "POST", "/v2/"+repo+"/blobs/uploads/", nil)
	loc := res.Header.Get("Location")
	id := loc[strings.LastIndex(loc, "/")+1:]
	i := 0
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		srv := next(i)
		i++
		res := do(srv, "PATCH", loc, data[off:end], "Content-Range", fmt.Sprintf("%d-%d", off, end-1))
		if res.StatusCode != 202 || res.Header.Get("Range") != fmt.Sprintf("0-%d", end-1) {
			t.Fatalf("PATCH %d-%d: %d, Range %q", off, end-1, res.StatusCode, res.Header.Get("Range"))
		}
		loc = res.Header.Get("Location")
		u, err := st.Meta.Upload(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Size > int64(end) {
			t.Fatalf("recorded %d bytes, only %d sent", u.Size, end)
		}
		h := sha256.New()
		h.Write(data[:u.Size])
		want, _ := h.(encoding.BinaryMarshaler).MarshalBinary()
		if u.Size > 0 && !bytes.Equal(u.HashState, want) {
			t.Fatalf("after %d bytes: the recorded hash state is not that of the first %d bytes", end, u.Size)
		}
	}
	if res := do(next(i), "PUT", loc+"?digest="+d.String(), nil); res.StatusCode != 201 {
		t.Fatalf("PUT: %d", res.StatusCode)
	}
	return d
}

// Chunks large enough to be recorded after their answer: each 202 reports every byte sent,
// GET status too, the record never runs ahead of the bytes, and the blob completes whole.
func TestChunksRecordedAfterAnswer(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	data := make([]byte, 5*tailMin+tailMin/2)
	rand.Read(data)
	d := chunkedUpload(t, tr.st, func(int) *httptest.Server { return tr.srv }, "eo/products", data, tailMin)
	got := tr.do("GET", "/v2/eo/products/blobs/"+d.String(), nil)
	if got.status != 200 || !bytes.Equal(got.body, data) {
		t.Fatalf("GET blob: %d, %d bytes", got.status, len(got.body))
	}

	loc := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil).header.Get("Location")
	part := data[:2*tailMin]
	expect(t, "PATCH", tr.do("PATCH", loc, part, "Content-Range", fmt.Sprintf("0-%d", len(part)-1)), 202, "")
	st := tr.do("GET", loc, nil)
	if st.status != 204 || st.header.Get("Range") != fmt.Sprintf("0-%d", len(part)-1) {
		t.Fatalf("status after PATCH: %d %q", st.status, st.header.Get("Range"))
	}
}

// Two servers on one storage, chunks alternating between them: a server that did not
// answer the previous chunk waits for its record and continues from it.
func TestChunksAlternatingServers(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	other := httptest.NewServer(New(tr.st, Options{}))
	t.Cleanup(other.Close)
	data := make([]byte, 6*tailMin+123)
	rand.Read(data)
	servers := []*httptest.Server{tr.srv, other}
	d := chunkedUpload(t, tr.st, func(i int) *httptest.Server { return servers[i%2] }, "eo/products", data, tailMin+tailMin/3)
	for _, srv := range servers {
		res, err := http.Get(srv.URL + "/v2/eo/products/blobs/" + d.String())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.ContentLength != int64(len(data)) {
			t.Fatalf("GET blob: %d, %d bytes", res.StatusCode, res.ContentLength)
		}
	}
}

// A refused chunk right after chunks answered before their record leaves the session
// recorded at what those answers acknowledged: another server reads that Range.
func TestRefusedChunkKeepsAcknowledged(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	other := httptest.NewServer(New(tr.st, Options{}))
	t.Cleanup(other.Close)
	data := make([]byte, 3*tailMin)
	rand.Read(data)
	loc := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil).header.Get("Location")
	for off := 0; off < 2*tailMin; off += tailMin {
		res := tr.do("PATCH", loc, data[off:off+tailMin], "Content-Range", fmt.Sprintf("%d-%d", off, off+tailMin-1))
		expect(t, "PATCH", res, 202, "")
	}
	// a body of unknown length (chunked encoding) that ends before its Content-Range does
	req, _ := http.NewRequest("PATCH", tr.srv.URL+loc, io.MultiReader(bytes.NewReader(data[2*tailMin:2*tailMin+10])))
	req.Header.Set("Content-Range", fmt.Sprintf("%d-%d", 2*tailMin, 3*tailMin-1))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("short chunk: %d", res.StatusCode)
	}
	st, err := http.Get(other.URL + loc)
	if err != nil {
		t.Fatal(err)
	}
	st.Body.Close()
	if want := fmt.Sprintf("0-%d", 2*tailMin-1); st.StatusCode != 204 || st.Header.Get("Range") != want {
		t.Fatalf("status on the other server: %d %q, want %q", st.StatusCode, st.Header.Get("Range"), want)
	}
}
