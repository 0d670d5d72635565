package stacserve

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/eopack/eopack/internal/testpeer"
	eoregistry "github.com/eopack/eopack/registry"
	"github.com/eopack/eopack/stacindex"
)

// oneItem is an index of one item whose asset B1 is a blob of eo/a.
type oneItem struct{ hit stacindex.Hit }

func newOneItem(blob ocispec.Descriptor) *oneItem {
	item := `{"type":"Feature","stac_version":"1.1.0","id":"scene","collection":"l7","bbox":[-35,-8.1,-34.8,-7.9],
		"geometry":{"type":"Polygon","coordinates":[[[-35,-8.1],[-34.8,-8.1],[-34.8,-7.9],[-35,-7.9],[-35,-8.1]]]},
		"properties":{"datetime":"2001-06-01T12:00:00Z"},"links":[],"assets":{"B1":{"href":"B1.tif","type":"image/tiff"}}}`
	return &oneItem{stacindex.Hit{
		Entry: stacindex.Entry{Repo: "eo/a", Digest: digest.FromString("manifest"), Created: time.Unix(0, 0), Item: json.RawMessage(item),
			Assets: map[string]stacindex.Blob{"B1": {Digest: blob.Digest, Size: blob.Size, MediaType: "image/tiff"}}},
		Collection: "l7", Tags: []string{"v1"},
	}}
}

func (o *oneItem) Search(context.Context, stacindex.Query) (stacindex.Page, error) {
	return stacindex.Page{Hits: []stacindex.Hit{o.hit}, NumberMatched: 1}, nil
}
func (o *oneItem) Collections(ctx context.Context) ([]stacindex.Collection, error) {
	c, _ := o.Collection(ctx, "l7")
	return []stacindex.Collection{c}, nil
}
func (o *oneItem) Collection(_ context.Context, id string) (stacindex.Collection, error) {
	if id != "l7" {
		return stacindex.Collection{}, stacindex.ErrNotFound
	}
	return stacindex.Collection{ID: "l7", BBox: []float64{-35, -8.1, -34.8, -7.9}, Count: 1}, nil
}
func (o *oneItem) Item(_ context.Context, c, id string) (stacindex.Hit, error) {
	if c != "l7" || id != "scene" {
		return stacindex.Hit{}, stacindex.ErrNotFound
	}
	return o.hit, nil
}
func (o *oneItem) Queryables(context.Context, string) (map[string]any, error) {
	return map[string]any{}, nil
}

// startRegistry serves the project's registry on httptest, pulls needing basic auth when
// private, and pushes a blob of n random bytes to eo/a and another to eo/b.
func startRegistry(t *testing.T, private bool, n int) (host string, blob []byte, desc, other ocispec.Descriptor) {
	t.Helper()
	st, err := eoregistry.Open(t.Context(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pw, err := eoregistry.LoadHtpasswd(testpeer.WriteHtpasswd(t, "eo", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(eoregistry.New(st, eoregistry.Options{Auth: pw, Private: private}))
	t.Cleanup(srv.Close)
	host = strings.TrimPrefix(srv.URL, "http://")
	blob = make([]byte, n)
	rand.Read(blob)
	push := func(repo string, b []byte) ocispec.Descriptor {
		r, err := remote.NewRepository(host + "/" + repo)
		if err != nil {
			t.Fatal(err)
		}
		r.PlainHTTP = true
		r.Client = credClient(host)
		d := ocispec.Descriptor{MediaType: "image/tiff", Digest: digest.FromBytes(b), Size: int64(len(b))}
		if err := r.Push(t.Context(), d, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return host, blob, push("eo/a", blob), push("eo/b", []byte("another blob"))
}

func credClient(host string) *auth.Client {
	return &auth.Client{Client: &http.Client{}, Cache: auth.NewCache(),
		Credential: auth.StaticCredential(host, auth.Credential{Username: "eo", Password: "secret"})}
}

func startServer(t *testing.T, host string, ix stacindex.Index, mode Mode) (*Server, string) {
	t.Helper()
	c := credClient(host)
	s, err := New(t.Context(), Options{Index: ix, Registry: host, PlainHTTP: true, Client: c, Anonymous: c.Client, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// assetHref is the href of asset B1 of the served item.
func assetHref(t *testing.T, base string) string {
	href, _ := served(t, base)
	return href
}

// served is the href of asset B1 and the eopack:reference of the served item.
func served(t *testing.T, base string) (href, ref string) {
	t.Helper()
	status, _, b := testpeer.HTTP(t, http.MethodGet, base+"/stac/collections/l7/items/scene", nil)
	if status != http.StatusOK {
		t.Fatalf("item: %d %s", status, b)
	}
	var it struct {
		Assets     map[string]struct{ Href string } `json:"assets"`
		Properties map[string]any                   `json:"properties"`
	}
	if err := json.Unmarshal(b, &it); err != nil {
		t.Fatal(err)
	}
	ref, _ = it.Properties["eopack:reference"].(string)
	return it.Assets["B1"].Href, ref
}

func TestPassThroughWhenPullsNeedAToken(t *testing.T) {
	host, blob, desc, other := startRegistry(t, true, 200_000)
	s, base := startServer(t, host, newOneItem(desc), Auto)
	if !s.PassThrough {
		t.Fatal("a registry answering 401 to anonymous pulls: no pass-through")
	}
	href := assetHref(t, base)
	if want := base + "/blobs/eo/a/" + desc.Digest.String(); href != want {
		t.Fatalf("href %s, want %s", href, want)
	}
	status, h, b := testpeer.HTTP(t, http.MethodGet, href, nil, "Range", "bytes=1000-1999")
	if status != http.StatusPartialContent || !bytes.Equal(b, blob[1000:2000]) ||
		h.Get("Content-Range") != fmt.Sprintf("bytes 1000-1999/%d", len(blob)) || h.Get("Content-Length") != "1000" {
		t.Errorf("range: %d %v, %d bytes", status, h, len(b))
	}
	status, h, b = testpeer.HTTP(t, http.MethodGet, href, nil, "Origin", "http://page.example")
	if status != http.StatusOK || !bytes.Equal(b, blob) || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("whole blob: %d, %d bytes, %v", status, len(b), h)
	}
	status, h, b = testpeer.HTTP(t, http.MethodHead, href, nil)
	if status != http.StatusOK || h.Get("Content-Length") != fmt.Sprint(len(blob)) || len(b) != 0 {
		t.Errorf("HEAD: %d %v", status, h)
	}
	// No open proxy: a blob the registry has but the index does not serve is refused, and so
	// is the indexed blob under another repository.
	for _, u := range []string{
		base + "/blobs/eo/b/" + other.Digest.String(),
		base + "/blobs/eo/b/" + desc.Digest.String(),
		base + "/blobs/eo/a/not-a-digest",
		base + "/blobs/" + desc.Digest.String(),
	} {
		if status, _, b := testpeer.HTTP(t, http.MethodGet, u, nil); status != http.StatusNotFound {
			t.Errorf("%s: %d %s", u, status, b)
		}
	}
	if status, _, _ := testpeer.HTTP(t, http.MethodDelete, href, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d", status)
	}
	// The page is at /.
	if status, _, b := testpeer.HTTP(t, http.MethodGet, base+"/", nil); status != http.StatusOK || !bytes.Contains(b, []byte("<html")) {
		t.Errorf("page: %d", status)
	}
}

func TestDirectWhenPullsAreAnonymous(t *testing.T) {
	host, _, desc, _ := startRegistry(t, false, 1000)
	s, base := startServer(t, host, newOneItem(desc), Auto)
	if s.PassThrough {
		t.Fatal("pass-through for an anonymous registry")
	}
	href, ref := served(t, base)
	if want := "http://" + host + "/v2/eo/a/blobs/" + desc.Digest.String(); href != want {
		t.Errorf("href %s, want %s", href, want)
	}
	if want := host + "/eo/a@" + digest.FromString("manifest").String(); ref != want {
		t.Errorf("eopack:reference %s, want %s", ref, want)
	}
	if status, _, _ := testpeer.HTTP(t, http.MethodGet, base+"/blobs/eo/a/"+desc.Digest.String(), nil); status != http.StatusNotFound {
		t.Errorf("pass-through served in direct mode: %d", status)
	}
	// Forced.
	s, base = startServer(t, host, newOneItem(desc), PassThrough)
	if !s.PassThrough || !strings.HasPrefix(assetHref(t, base), base+"/blobs/") {
		t.Error("--assets pass-through not followed")
	}
}
