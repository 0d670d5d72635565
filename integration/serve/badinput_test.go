package serve

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/internal/testpeer"
)

// files lists the regular files under root (relative paths), ignoring lock files.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != ".lock" {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// Bad input is answered with the spec's error code and stores nothing.
func TestBadInput(t *testing.T) {
	srv := testpeer.StartServe(t, "")
	data := []byte("a band that is never stored under a wrong digest")
	good := digest.FromBytes(data)
	wrong := digest.FromString("not the content")
	// a session to use for chunk checks
	post := func(repo string) string {
		code, h, body := httpDo(t, srv, "POST", "/v2/"+repo+"/blobs/uploads/", nil)
		if code != 202 {
			t.Fatalf("POST: %d %s", code, body)
		}
		return h.Get("Location")
	}
	manifestMT := "application/vnd.oci.image.manifest.v1+json"
	cases := []struct {
		name, method, path string
		body               []byte
		hdr                []string
		status             int
		code               string
	}{
		{"name with ..", "POST", "/v2/eo/../etc/blobs/uploads/", nil, nil, 400, "NAME_INVALID"},
		{"name upper case", "POST", "/v2/EO/Products/blobs/uploads/", nil, nil, 400, "NAME_INVALID"},
		{"name leading slash", "POST", "/v2//eo/blobs/uploads/", nil, nil, 400, "NAME_INVALID"},
		{"name trailing separator", "PUT", "/v2/eo-/manifests/v1", []byte("{}"), nil, 400, "NAME_INVALID"},
		{"malformed digest in path", "GET", "/v2/eo/blobs/sha256:12", nil, nil, 400, "DIGEST_INVALID"},
		{"unknown algorithm", "GET", "/v2/eo/blobs/md5:d41d8cd98f00b204e9800998ecf8427e", nil, nil, 400, "DIGEST_INVALID"},
		{"malformed digest on single POST", "POST", "/v2/eo/blobs/uploads/?digest=sha256:zz", data, nil, 400, "DIGEST_INVALID"},
		{"digest mismatch on single POST", "POST", "/v2/eo/blobs/uploads/?digest=" + wrong.String(), data, nil, 400, "DIGEST_INVALID"},
		{"digest mismatch on PUT", "PUT", post("eo") + "?digest=" + wrong.String(), data, nil, 400, "DIGEST_INVALID"},
		{"garbage Content-Range", "PATCH", post("eo"), data, []string{"Content-Range", "lots-of-bytes"}, 400, "BLOB_UPLOAD_INVALID"},
		{"Content-Range not at the end", "PATCH", post("eo"), data, []string{"Content-Range", "10-20"}, 416, "BLOB_UPLOAD_INVALID"},
		{"unknown upload session", "PATCH", "/v2/eo/blobs/uploads/00000000000000000000000000000000", data, nil, 404, "BLOB_UPLOAD_UNKNOWN"},
		{"unknown session on PUT", "PUT", "/v2/eo/blobs/uploads/nope?digest=" + good.String(), data, nil, 404, "BLOB_UPLOAD_UNKNOWN"},
		{"malformed manifest JSON", "PUT", "/v2/eo/manifests/v1", []byte(`{"schemaVersion":2,"config":`), []string{"Content-Type", manifestMT}, 400, "MANIFEST_INVALID"},
		{"truncated manifest", "PUT", "/v2/eo/manifests/v1", []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a/b","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","si`), []string{"Content-Type", manifestMT}, 400, "MANIFEST_INVALID"},
		{"manifest blob unknown", "PUT", "/v2/eo/manifests/v1", []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`), []string{"Content-Type", manifestMT}, 400, "MANIFEST_BLOB_UNKNOWN"},
		{"manifest unknown", "GET", "/v2/eo/manifests/v9", nil, nil, 404, "MANIFEST_UNKNOWN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := httpDo(t, srv, tc.method, tc.path, bytes.NewReader(tc.body), tc.hdr...)
			var e struct {
				Errors []struct{ Code, Message string }
			}
			json.Unmarshal(body, &e)
			if code != tc.status || len(e.Errors) == 0 || e.Errors[0].Code != tc.code || e.Errors[0].Message == "" {
				t.Fatalf("%d %s, want %d %s", code, body, tc.status, tc.code)
			}
		})
	}
	// Nothing was stored: no blob anywhere, no manifest, and the sessions hold no bytes
	// except the 416 case's session (which is kept, empty, for the client to resume).
	for _, f := range files(t, srv.Root) {
		if strings.HasPrefix(f, "_blobs/.uploads/") {
			if fi, _ := os.Stat(filepath.Join(srv.Root, f)); fi.Size() != 0 {
				t.Errorf("session %s holds %d bytes", f, fi.Size())
			}
			continue
		}
		if strings.HasPrefix(f, "_blobs/sha") || strings.HasPrefix(f, "_blobs/.ingest/") {
			t.Errorf("stored after bad input: %s", f)
		}
	}
	if code, _, body := httpDo(t, srv, "GET", "/v2/eo/tags/list", nil); code == 200 && strings.Contains(string(body), "v1") {
		t.Errorf("tag stored after bad manifests: %s", body)
	}
}
