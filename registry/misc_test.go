package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"golang.org/x/crypto/bcrypt"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/metadata"
)

func nlink(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(fi.Sys().(*syscall.Stat_t).Nlink)
}

// The error table, code by code: what each error answers.
func TestErrorTable(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{ErrNameInvalid, 400, "NAME_INVALID"},
		{ErrNameUnknown, 404, "NAME_UNKNOWN"},
		{ErrBlobUnknown, 404, "BLOB_UNKNOWN"},
		{ErrUploadUnknown, 404, "BLOB_UPLOAD_UNKNOWN"},
		{ErrUploadInvalid, 400, "BLOB_UPLOAD_INVALID"},
		{ErrRangeInvalid, 416, "BLOB_UPLOAD_INVALID"},
		{ErrDigestInvalid, 400, "DIGEST_INVALID"},
		{content.ErrMismatchedDigest, 400, "DIGEST_INVALID"},
		{errdef.ErrInvalidDigest, 400, "DIGEST_INVALID"},
		{ErrSizeInvalid, 400, "SIZE_INVALID"},
		{content.ErrTrailingData, 400, "SIZE_INVALID"},
		{io.ErrUnexpectedEOF, 400, "SIZE_INVALID"},
		{ErrManifestTooLarge, 413, "SIZE_INVALID"},
		{ErrManifestBlobUnknown, 400, "MANIFEST_BLOB_UNKNOWN"},
		{&metadata.MissingError{Digest: digest.FromString("x")}, 400, "MANIFEST_BLOB_UNKNOWN"},
		{metadata.ErrManifestInvalid, 400, "MANIFEST_INVALID"},
		{metadata.ErrManifestUnknown, 404, "MANIFEST_UNKNOWN"},
		{metadata.ErrNameUnknown, 404, "NAME_UNKNOWN"},
		{metadata.ErrBlobUnknown, 404, "BLOB_UNKNOWN"},
		{metadata.ErrUploadUnknown, 404, "BLOB_UPLOAD_UNKNOWN"},
		{metadata.ErrConflict, 416, "BLOB_UPLOAD_INVALID"},
		{blobstore.ErrNotFound, 404, "BLOB_UNKNOWN"},
		{blobstore.ErrUploadGone, 404, "BLOB_UPLOAD_UNKNOWN"},
		{blobstore.ErrDigestMismatch, 400, "DIGEST_INVALID"},
		{blobstore.ErrSizeMismatch, 400, "SIZE_INVALID"},
		{ErrManifestInvalid, 400, "MANIFEST_INVALID"},
		{ErrManifestUnknown, 404, "MANIFEST_UNKNOWN"},
		{ErrUnauthorized, 401, "UNAUTHORIZED"},
		{ErrDenied, 403, "DENIED"},
		{ErrUnsupported, 405, "UNSUPPORTED"},
		{errdef.ErrUnsupported, 405, "UNSUPPORTED"},
		{errors.New("disk on fire"), 500, "UNKNOWN"},
	}
	for _, tc := range cases {
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest("GET", "/v2/", nil), fmt.Errorf("context: %w", tc.err))
		var b errorBody
		if w.Code != tc.status || jsonDecode(w.Body, &b) != nil || len(b.Errors) != 1 || string(b.Errors[0].Code) != tc.code ||
			!strings.Contains(b.Errors[0].Message, "context") || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%v: %d %s, want %d %s", tc.err, w.Code, w.Body, tc.status, tc.code)
		}
	}
	// every code the table uses is registered (once: it is a map) with its status
	for _, e := range errorCodes {
		if e.code.Status() == 0 {
			t.Errorf("code %s is not registered", e.code)
		}
	}
}

func TestAuth(t *testing.T) {
	dir := t.TempDir()
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	file := filepath.Join(dir, "htpasswd")
	os.WriteFile(file, []byte("# users\neo:"+string(hash)+"\n"), 0o600)
	a, err := LoadHtpasswd(file)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "md5"), []byte("eo:$apr1$abc$def\n"), 0o600)
	if _, err := LoadHtpasswd(filepath.Join(dir, "md5")); err == nil || !strings.Contains(err.Error(), "bcrypt") {
		t.Fatalf("md5 htpasswd: %v", err)
	}
	for _, private := range []bool{false, true} {
		tr := newTestRegistry(t, Options{Auth: a, Private: private})
		r := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil)
		expect(t, "anonymous push", r, 401, "UNAUTHORIZED")
		if r.header.Get("WWW-Authenticate") != `Basic realm="eopack"` {
			t.Fatalf("challenge %q", r.header.Get("WWW-Authenticate"))
		}
		expect(t, "anonymous /v2/", tr.do("GET", "/v2/", nil), 401, "UNAUTHORIZED")
		pull := tr.do("GET", "/v2/eo/products/tags/list", nil)
		if private {
			expect(t, "anonymous pull, private", pull, 401, "UNAUTHORIZED")
		} else {
			expect(t, "anonymous pull", pull, 404, "NAME_UNKNOWN")
		}
		tr.user, tr.pass = "eo", "wrong"
		expect(t, "wrong password pull", tr.do("GET", "/v2/eo/products/tags/list", nil), 401, "UNAUTHORIZED")
		tr.user, tr.pass = "eo", "s3cret"
		expect(t, "login", tr.do("GET", "/v2/", nil), 200, "")
		tr.pushBlob("eo/products", []byte("x"))
		expect(t, "authenticated pull", tr.do("GET", "/v2/eo/products/blobs/"+digest.FromString("x").String(), nil), 200, "")
	}
}

func TestSweepRemovesStaleUploads(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	loc := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil).header.Get("Location")
	tr.do("PATCH", loc, []byte("partial"))
	if rep, err := tr.st.GC(t.Context(), time.Hour, false); err != nil || rep.Sessions != 0 {
		t.Fatalf("gc within the grace period: %v %v", rep, err)
	}
	expect(t, "fresh session", tr.do("GET", loc, nil), http.StatusNoContent, "")
	rep, err := tr.st.GC(t.Context(), -time.Second, false) // everything is older than a negative grace
	if err != nil || rep.Sessions != 1 || rep.SessionBytes != int64(len("partial")) {
		t.Fatalf("gc: %v %v", rep, err)
	}
	expect(t, "stale session", tr.do("GET", loc, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
	if ents, _ := os.ReadDir(filepath.Join(tr.root, "_blobs", ".uploads")); len(ents) != 0 {
		t.Fatalf("%d session files left", len(ents))
	}
}

// Many sessions upload the same blob at once: every one completes and one correct file
// results.
func TestConcurrentUploadsOfOneBlob(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	data := bytes.Repeat([]byte("same band "), 100000)
	d := digest.FromBytes(data)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := fmt.Sprintf("eo/r%d", i%3)
			loc := tr.do("POST", "/v2/"+repo+"/blobs/uploads/", nil).header.Get("Location")
			tr.do("PATCH", loc, data[:len(data)/2])
			if r := tr.do("PUT", loc+"?digest="+d.String(), data[len(data)/2:]); r.status != 201 {
				t.Errorf("PUT %d: %d %s", i, r.status, r.body)
			}
		}()
	}
	wg.Wait()
	for i := range 3 {
		r := tr.do("GET", fmt.Sprintf("/v2/eo/r%d/blobs/%s", i, d), nil)
		if r.status != 200 || !bytes.Equal(r.body, data) {
			t.Fatalf("r%d: %d, %d bytes", i, r.status, len(r.body))
		}
	}
	if n := nlink(t, filepath.Join(tr.root, "_blobs/sha256", d.Encoded()[:2], d.Encoded())); n != 1 {
		t.Fatalf("blob file has %d links, want 1", n)
	}
	if ents, _ := os.ReadDir(filepath.Join(tr.root, "_blobs", ".uploads")); len(ents) != 0 {
		t.Fatalf("%d session files left", len(ents))
	}
}

// A single-request upload of a blob stored already (under another repository) is read and
// verified but leaves the stored file as it is; wrong bytes are refused and link nothing.
func TestMonolithicPushOfStoredBlob(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	data := []byte("a band stored once")
	desc := tr.pushBlob("eo/a", data)
	path := filepath.Join(tr.root, "_blobs/sha256", desc.Digest.Encoded()[:2], desc.Digest.Encoded())
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	post := "/v2/eo/b/blobs/uploads/?digest=" + desc.Digest.String()
	expect(t, "wrong bytes", tr.do("POST", post, []byte("a band stored twice")), 400, "DIGEST_INVALID")
	expect(t, "short body", tr.do("POST", post, data[:5]), 400, "DIGEST_INVALID")
	expect(t, "HEAD after refusals", tr.do("HEAD", "/v2/eo/b/blobs/"+desc.Digest.String(), nil), 404, "")
	expect(t, "right bytes", tr.do("POST", post, data), 201, "")
	if r := tr.do("GET", "/v2/eo/b/blobs/"+desc.Digest.String(), nil); r.status != 200 || !bytes.Equal(r.body, data) {
		t.Fatalf("GET from the second repository: %d %q", r.status, r.body)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Fatal("the stored blob file was replaced")
	}
	if ents, _ := os.ReadDir(filepath.Join(tr.root, "_blobs", ".ingest")); len(ents) != 0 {
		t.Fatalf("%d temp files left", len(ents))
	}
}
