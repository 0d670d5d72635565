package registry

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

func TestBase(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	r := tr.do("GET", "/v2/", nil)
	expect(t, "GET /v2/", r, http.StatusOK, "")
	if r.header.Get("Docker-Distribution-Api-Version") != "registry/2.0" {
		t.Fatalf("headers %v", r.header)
	}
	expect(t, "unknown endpoint", tr.do("GET", "/v2/foo/bar", nil), http.StatusNotFound, "NAME_UNKNOWN")
	expect(t, "method", tr.do("PATCH", "/v2/foo/manifests/v1", nil), http.StatusMethodNotAllowed, "UNSUPPORTED")
}

func TestUploads(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	d := digest.FromBytes(data)
	sum := sha512.Sum512(data)
	d512 := digest.NewDigestFromEncoded(digest.SHA512, hex.EncodeToString(sum[:]))
	wrong := digest.FromString("something else")

	cases := []struct {
		name string
		run  func(t *testing.T, tr *testRegistry) digest.Digest // returns the digest expected stored, or ""
	}{
		{"monolithic POST then PUT", func(t *testing.T, tr *testRegistry) digest.Digest {
			r := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil)
			expect(t, "POST", r, 202, "")
			if r.header.Get("Range") != "0-0" || r.header.Get("Docker-Upload-UUID") == "" {
				t.Fatalf("POST headers %v", r.header)
			}
			r = tr.do("PUT", r.header.Get("Location")+"?digest="+d.String(), data)
			expect(t, "PUT", r, 201, "")
			if r.header.Get("Docker-Content-Digest") != d.String() || r.header.Get("Location") != "/v2/eo/products/blobs/"+d.String() {
				t.Fatalf("PUT headers %v", r.header)
			}
			return d
		}},
		{"single POST with digest", func(t *testing.T, tr *testRegistry) digest.Digest {
			expect(t, "POST", tr.do("POST", "/v2/eo/products/blobs/uploads/?digest="+d512.String(), data), 201, "")
			return d512
		}},
		{"chunked PATCH with Content-Range, status, PUT", func(t *testing.T, tr *testRegistry) digest.Digest {
			loc := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil).header.Get("Location")
			r := tr.do("PATCH", loc, data[:4000], "Content-Range", "0-3999", "Content-Type", "application/octet-stream")
			expect(t, "PATCH 1", r, 202, "")
			if r.header.Get("Range") != "0-3999" {
				t.Fatalf("Range %q", r.header.Get("Range"))
			}
			r = tr.do("PATCH", r.header.Get("Location"), data[2000:3000], "Content-Range", "2000-2999")
			expect(t, "out-of-order PATCH", r, 416, "BLOB_UPLOAD_INVALID")
			if r.header.Get("Range") != "0-3999" || r.header.Get("Location") == "" {
				t.Fatalf("416 headers %v", r.header)
			}
			expect(t, "garbage Content-Range", tr.do("PATCH", loc, data[4000:5000], "Content-Range", "bytes=x-y"), 400, "BLOB_UPLOAD_INVALID")
			r = tr.do("GET", loc, nil)
			expect(t, "status", r, 204, "")
			if r.header.Get("Range") != "0-3999" {
				t.Fatalf("status Range %q", r.header.Get("Range"))
			}
			r = tr.do("PATCH", loc, data[4000:]) // streamed, no Content-Range
			expect(t, "PATCH 2", r, 202, "")
			expect(t, "PUT", tr.do("PUT", loc+"?digest="+d.String(), nil), 201, "")
			return d
		}},
		{"chunked sha512 with last chunk on PUT", func(t *testing.T, tr *testRegistry) digest.Digest {
			loc := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil).header.Get("Location")
			expect(t, "PATCH", tr.do("PATCH", loc, data[:10], "Content-Range", "0-9"), 202, "")
			expect(t, "PUT", tr.do("PUT", loc+"?digest="+d512.String(), data[10:], "Content-Range", fmt.Sprintf("10-%d", len(data)-1)), 201, "")
			return d512
		}},
		{"digest mismatch discards the bytes", func(t *testing.T, tr *testRegistry) digest.Digest {
			loc := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil).header.Get("Location")
			expect(t, "PUT", tr.do("PUT", loc+"?digest="+wrong.String(), data), 400, "DIGEST_INVALID")
			expect(t, "session after mismatch", tr.do("GET", loc, nil), 404, "BLOB_UPLOAD_UNKNOWN")
			expect(t, "single POST mismatch", tr.do("POST", "/v2/eo/products/blobs/uploads/?digest="+wrong.String(), data), 400, "DIGEST_INVALID")
			expect(t, "blob", tr.do("HEAD", "/v2/eo/products/blobs/"+wrong.String(), nil), 404, "")
			return ""
		}},
		{"malformed digest", func(t *testing.T, tr *testRegistry) digest.Digest {
			loc := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil).header.Get("Location")
			expect(t, "PUT", tr.do("PUT", loc+"?digest=sha256:xyz", data), 400, "DIGEST_INVALID")
			expect(t, "PUT no digest", tr.do("PUT", loc, data), 400, "DIGEST_INVALID")
			expect(t, "session kept for a retry", tr.do("GET", loc, nil), 204, "")
			expect(t, "GET blob", tr.do("GET", "/v2/eo/products/blobs/sha256:abc", nil), 400, "DIGEST_INVALID")
			return ""
		}},
		{"cancel", func(t *testing.T, tr *testRegistry) digest.Digest {
			loc := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil).header.Get("Location")
			tr.do("PATCH", loc, data[:100])
			expect(t, "DELETE", tr.do("DELETE", loc, nil), 204, "")
			expect(t, "PATCH after cancel", tr.do("PATCH", loc, data), 404, "BLOB_UPLOAD_UNKNOWN")
			return ""
		}},
		{"unknown session", func(t *testing.T, tr *testRegistry) digest.Digest {
			expect(t, "GET", tr.do("GET", "/v2/eo/products/blobs/uploads/0123456789abcdef0123456789abcdef", nil), 404, "BLOB_UPLOAD_UNKNOWN")
			expect(t, "traversal id", tr.do("PUT", "/v2/eo/products/blobs/uploads/..%2f..%2fx?digest="+d.String(), nil), 404, "")
			expect(t, "short id", tr.do("GET", "/v2/eo/products/blobs/uploads/abc", nil), 404, "BLOB_UPLOAD_UNKNOWN")
			loc := tr.do("POST", "/v2/eo/products/blobs/uploads/", nil).header.Get("Location")
			other := strings.Replace(loc, "eo/products", "eo/other", 1)
			expect(t, "other repository's session", tr.do("GET", other, nil), 404, "BLOB_UPLOAD_UNKNOWN")
			return ""
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestRegistry(t, Options{})
			want := tc.run(t, tr)
			if want != "" {
				r := tr.do("GET", "/v2/eo/products/blobs/"+want.String(), nil)
				expect(t, "GET blob", r, 200, "")
				if !bytes.Equal(r.body, data) || r.header.Get("Docker-Content-Digest") != want.String() {
					t.Fatalf("GET blob: %d bytes, headers %v", len(r.body), r.header)
				}
			}
			// nothing left behind in the session folder or the pool's ingest folder
			for _, dir := range []string{"_blobs/.uploads", "_blobs/.ingest"} {
				ents, _ := os.ReadDir(filepath.Join(tr.root, dir))
				if len(ents) > 0 && tc.name != "unknown session" && tc.name != "malformed digest" {
					t.Fatalf("%s holds %d files", dir, len(ents))
				}
			}
		})
	}
}

func TestBlobGetRangeHeadDelete(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	data := []byte("0123456789abcdef")
	d := tr.pushBlob("eo/products", data).Digest
	path := "/v2/eo/products/blobs/" + d.String()
	cases := []struct {
		method, rng string
		status      int
		body        string
	}{
		{"GET", "", 200, string(data)},
		{"GET", "bytes=2-5", 206, "2345"},
		{"GET", "bytes=10-", 206, "abcdef"},
		{"GET", "bytes=-3", 206, "def"},
		{"GET", "bytes=100-200", 416, ""},
		{"HEAD", "", 200, ""},
	}
	for _, tc := range cases {
		var hdr []string
		if tc.rng != "" {
			hdr = []string{"Range", tc.rng}
		}
		r := tr.do(tc.method, path, nil, hdr...)
		if r.status != tc.status || (tc.status != 416 && string(r.body) != tc.body) {
			t.Fatalf("%s %s: %d %q, want %d %q", tc.method, tc.rng, r.status, r.body, tc.status, tc.body)
		}
		if tc.status == 200 && (r.header.Get("Content-Length") != "16" || r.header.Get("Docker-Content-Digest") != d.String()) {
			t.Fatalf("%s headers %v", tc.method, r.header)
		}
	}
	expect(t, "GET unknown", tr.do("GET", "/v2/eo/products/blobs/"+digest.FromString("x").String(), nil), 404, "BLOB_UNKNOWN")
	expect(t, "GET unknown repo", tr.do("GET", "/v2/eo/nothing/blobs/"+d.String(), nil), 404, "BLOB_UNKNOWN")
	expect(t, "DELETE", tr.do("DELETE", path, nil), 202, "")
	expect(t, "GET deleted", tr.do("GET", path, nil), 404, "BLOB_UNKNOWN")
	expect(t, "DELETE again", tr.do("DELETE", path, nil), 404, "BLOB_UNKNOWN")
}

func TestMount(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	data := []byte("a band of a product")
	d := tr.pushBlob("eo/a", data).Digest
	r := tr.do("POST", "/v2/eo/b/blobs/uploads/?mount="+d.String()+"&from=eo/a", nil)
	expect(t, "mount from", r, 201, "")
	if r.header.Get("Location") != "/v2/eo/b/blobs/"+d.String() {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	expect(t, "automatic mount", tr.do("POST", "/v2/eo/c/blobs/uploads/?mount="+d.String(), nil), 201, "")
	expect(t, "mount from repo lacking it", tr.do("POST", "/v2/eo/d/blobs/uploads/?mount="+d.String()+"&from=eo/nothing", nil), 202, "")
	expect(t, "mount unknown", tr.do("POST", "/v2/eo/d/blobs/uploads/?mount="+digest.FromString("x").String(), nil), 202, "")
	for _, repo := range []string{"eo/b", "eo/c"} {
		r := tr.do("GET", "/v2/"+repo+"/blobs/"+d.String(), nil)
		if r.status != 200 || !bytes.Equal(r.body, data) {
			t.Fatalf("mounted blob in %s: %d %q", repo, r.status, r.body)
		}
	}
	expect(t, "not mounted", tr.do("GET", "/v2/eo/d/blobs/"+d.String(), nil), 404, "BLOB_UNKNOWN")
	n := 0
	filepath.WalkDir(filepath.Join(tr.root, "_blobs", "sha256"), func(_ string, e os.DirEntry, _ error) error {
		if e != nil && !e.IsDir() {
			n++
		}
		return nil
	})
	if n != 1 {
		t.Fatalf("%d blob files, want the one blob stored once", n)
	}
}
