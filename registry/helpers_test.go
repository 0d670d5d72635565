package registry

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// testRegistry is the handler on httptest with a fresh root.
type testRegistry struct {
	t    *testing.T
	srv  *httptest.Server
	st   *Storage
	root string
	user string
	pass string
}

func newTestRegistry(t *testing.T, opt Options) *testRegistry {
	t.Helper()
	root := t.TempDir()
	st, err := Open(t.Context(), root, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(st, opt))
	t.Cleanup(func() { srv.Close(); st.Close() })
	return &testRegistry{t: t, srv: srv, st: st, root: root}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

// errCode is the first error code of a spec JSON error body ("" if none).
func (r resp) errCode() string {
	var b errorBody
	if json.Unmarshal(r.body, &b) != nil || len(b.Errors) == 0 {
		return ""
	}
	return string(b.Errors[0].Code)
}

func (tr *testRegistry) do(method, path string, body []byte, hdr ...string) resp {
	tr.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = tr.srv.URL + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		tr.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if tr.user != "" {
		req.SetBasicAuth(tr.user, tr.pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tr.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

// expect fails unless r has status and (if code is set) that error code.
func expect(t *testing.T, what string, r resp, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.errCode() != code) {
		t.Fatalf("%s: got %d %s (%s), want %d %s", what, r.status, r.errCode(), r.body, status, code)
	}
}

// pushBlob uploads data to repo with POST + PUT and returns its descriptor.
func (tr *testRegistry) pushBlob(repo string, data []byte) ocispec.Descriptor {
	tr.t.Helper()
	d := digest.FromBytes(data)
	r := tr.do("POST", "/v2/"+repo+"/blobs/uploads/", nil)
	expect(tr.t, "POST upload", r, http.StatusAccepted, "")
	r = tr.do("PUT", r.header.Get("Location")+"?digest="+d.String(), data)
	expect(tr.t, "PUT upload", r, http.StatusCreated, "")
	return ocispec.Descriptor{MediaType: "application/octet-stream", Digest: d, Size: int64(len(data))}
}

// manifestJSON is an image manifest with the empty config and layers.
func manifestJSON(t *testing.T, artifactType string, subject *ocispec.Descriptor, layers ...ocispec.Descriptor) ([]byte, digest.Digest) {
	t.Helper()
	if layers == nil {
		layers = []ocispec.Descriptor{}
	}
	b, err := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest, ArtifactType: artifactType,
		Config: ocispec.DescriptorEmptyJSON, Layers: layers, Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	return b, digest.FromBytes(b)
}

// pushManifest pushes the empty config and a manifest under ref, expecting 201.
func (tr *testRegistry) pushManifest(repo, ref string, body []byte) resp {
	tr.t.Helper()
	tr.pushBlob(repo, ocispec.DescriptorEmptyJSON.Data)
	r := tr.do("PUT", "/v2/"+repo+"/manifests/"+ref, body, "Content-Type", ocispec.MediaTypeImageManifest)
	expect(tr.t, "PUT manifest "+ref, r, http.StatusCreated, "")
	return r
}
