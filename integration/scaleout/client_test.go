package scaleout

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var hc = &http.Client{Timeout: 5 * time.Minute}

// call sends one request to host and returns status, headers and body; hdr is name, value, …
func call(host, method, path string, body io.Reader, size int64, hdr ...string) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(method, "http://"+host+path, body)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// expect is call that fails the test unless the status is want.
func expect(t *testing.T, want int, host, method, path string, body []byte, hdr ...string) http.Header {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	st, h, b, err := call(host, method, path, r, int64(len(body)), hdr...)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, host, err)
	}
	if st != want {
		t.Fatalf("%s %s on %s: %d, want %d: %s", method, path, host, st, want, b)
	}
	return h
}

// data is n pseudo-random bytes from seed.
func data(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)}).Read(b)
	return b
}

// chunkedUpload uploads chunks as one blob of repo, each request (POST, every PATCH, the
// final PUT) sent to the host pick returns, and returns the blob's digest.
func chunkedUpload(t *testing.T, pick func() string, repo string, chunks [][]byte) digest.Digest {
	t.Helper()
	h := sha256.New()
	for _, c := range chunks {
		h.Write(c)
	}
	d := digest.NewDigest(digest.SHA256, h)
	loc := expect(t, http.StatusAccepted, pick(), "POST", "/v2/"+repo+"/blobs/uploads/", nil).Get("Location")
	var off int
	for _, c := range chunks {
		hd := expect(t, http.StatusAccepted, pick(), "PATCH", loc, c,
			"Content-Type", "application/octet-stream",
			"Content-Range", fmt.Sprintf("%d-%d", off, off+len(c)-1))
		off += len(c)
		if want := fmt.Sprintf("0-%d", off-1); hd.Get("Range") != want {
			t.Fatalf("after %d bytes Range is %q, want %q", off, hd.Get("Range"), want)
		}
		loc = hd.Get("Location")
	}
	expect(t, http.StatusCreated, pick(), "PUT", withQuery(loc, "digest="+d.String()), nil)
	return d
}

// withQuery appends a query parameter to a Location that may already have a query.
func withQuery(loc, kv string) string {
	if strings.Contains(loc, "?") {
		return loc + "&" + kv
	}
	return loc + "?" + kv
}

// checkBlob streams blob d of repo from host and fails unless it has size bytes and
// hashes to d.
func checkBlob(t *testing.T, host, repo string, d digest.Digest, size int64) {
	t.Helper()
	resp, err := hc.Get("http://" + host + "/v2/" + repo + "/blobs/" + d.String())
	if err != nil {
		t.Fatalf("GET blob %s on %s: %v", d, host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET blob %s on %s: %d %s", d, host, resp.StatusCode, b)
	}
	v := d.Verifier()
	n, err := io.Copy(v, resp.Body)
	if err != nil || n != size || !v.Verified() {
		t.Fatalf("GET blob %s on %s: %d bytes (want %d), verified %v, %v", d, host, n, size, v.Verified(), err)
	}
}

// artifact is a small image manifest with a config and one layer, as bytes ready to push.
type artifact struct {
	config, layer []byte
	manifest      []byte
	digest        digest.Digest
}

func newArtifact(seed uint64) artifact {
	return newArtifactWith(seed, data(2048+int(seed%4096), seed))
}

// newArtifactWith is an artifact with the given layer (shared with another artifact, say).
func newArtifactWith(seed uint64, layer []byte) artifact {
	a := artifact{config: []byte(fmt.Sprintf(`{"seed":%d}`, seed)), layer: layer}
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: "application/vnd.eopack.test",
		Config:       ocispec.Descriptor{MediaType: "application/vnd.eopack.test.config+json", Digest: digest.FromBytes(a.config), Size: int64(len(a.config))},
		Layers:       []ocispec.Descriptor{{MediaType: "application/octet-stream", Digest: digest.FromBytes(a.layer), Size: int64(len(a.layer))}},
	}
	a.manifest, _ = json.Marshal(m)
	a.digest = digest.FromBytes(a.manifest)
	return a
}

// push uploads the artifact's blobs (monolithic POST ?digest=) and PUTs its manifest as
// ref, each request to the host pick returns; it returns the first error.
func (a artifact) push(pick func() string, repo, ref string) error {
	return a.pushAs(pick, repo, ref, false)
}

// pushAs is push; with headFirst it skips blobs a HEAD finds, as ORAS does, and if the
// manifest PUT then finds a blob gone (collected between the HEAD and the PUT) it uploads
// the blobs and PUTs again, as a client retrying the push would.
func (a artifact) pushAs(pick func() string, repo, ref string, headFirst bool) error {
	err := a.pushOnce(pick, repo, ref, headFirst)
	if headFirst && err != nil && strings.Contains(err.Error(), "BLOB_UNKNOWN") {
		err = a.pushOnce(pick, repo, ref, false)
	}
	return err
}

func (a artifact) pushOnce(pick func() string, repo, ref string, headFirst bool) error {
	for _, b := range [][]byte{a.config, a.layer} {
		if headFirst {
			st, _, _, err := call(pick(), "HEAD", "/v2/"+repo+"/blobs/"+digest.FromBytes(b).String(), nil, 0)
			if err != nil {
				return err
			}
			if st == http.StatusOK {
				continue
			}
		}
		st, _, body, err := call(pick(), "POST", "/v2/"+repo+"/blobs/uploads/?digest="+digest.FromBytes(b).String(),
			bytes.NewReader(b), int64(len(b)), "Content-Type", "application/octet-stream")
		if err != nil {
			return err
		}
		if st != http.StatusCreated {
			return fmt.Errorf("blob upload: %d %s", st, body)
		}
	}
	st, _, body, err := call(pick(), "PUT", "/v2/"+repo+"/manifests/"+ref, bytes.NewReader(a.manifest),
		int64(len(a.manifest)), "Content-Type", ocispec.MediaTypeImageManifest)
	if err != nil {
		return err
	}
	if st != http.StatusCreated {
		return fmt.Errorf("manifest PUT %s: %d %s", ref, st, body)
	}
	return nil
}
