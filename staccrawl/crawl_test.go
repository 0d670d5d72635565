package staccrawl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	eoregistry "github.com/eopack/eopack/registry"
	"github.com/eopack/eopack/stac"
	"github.com/eopack/eopack/stacindex"
)

// openFile opens a fresh index file.
func openFile(t *testing.T) *stacindex.File {
	t.Helper()
	f, err := stacindex.OpenFile(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// summary lists the indexed items as "repo id tags" lines, sorted.
func summary(t *testing.T, f *stacindex.File) string {
	t.Helper()
	page, err := f.Search(t.Context(), stacindex.Query{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, h := range page.Hits {
		var it struct{ ID string }
		json.Unmarshal(h.Item, &it)
		lines = append(lines, fmt.Sprintf("%s %s %v", h.Repo, it.ID, h.Tags))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// entry is the indexed item id.
func entry(t *testing.T, f *stacindex.File, id string) stacindex.Hit {
	t.Helper()
	h, err := f.Item(t.Context(), "l7", id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// testRegistry is the project's registry on httptest, counting blob GETs; with noCatalog
// its /v2/_catalog answers 404, as on registries that list none.
type testRegistry struct {
	host      string
	blobGets  atomic.Int64
	noCatalog atomic.Bool
}

func startRegistry(t *testing.T) *testRegistry {
	t.Helper()
	st, err := eoregistry.Open(t.Context(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := eoregistry.New(st, eoregistry.Options{})
	r := &testRegistry{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/") {
			r.blobGets.Add(1)
		}
		if r.noCatalog.Load() && req.URL.Path == "/v2/_catalog" {
			http.NotFound(w, req)
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

func (r *testRegistry) repo(t *testing.T, name string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(r.host + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return repo
}

func (r *testRegistry) options(t *testing.T, ns string) Options {
	reg, err := remote.NewRegistry(r.host)
	if err != nil {
		t.Fatal(err)
	}
	reg.PlainHTTP = true
	return Options{
		Registry:    reg,
		Repository:  func(name string) (*remote.Repository, error) { return r.repo(t, name), nil },
		Namespace:   ns,
		Concurrency: 3,
	}
}

func pushBlob(t *testing.T, repo *remote.Repository, mediaType string, b []byte, ann map[string]string) ocispec.Descriptor {
	t.Helper()
	d := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b)), Annotations: ann}
	if err := repo.Push(t.Context(), d, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	return d
}

// pushManifest pushes m and tags it with tag (none if "").
func pushManifest(t *testing.T, repo *remote.Repository, mediaType string, m any, tag string) ocispec.Descriptor {
	t.Helper()
	b, _ := json.Marshal(m)
	d := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
	if err := repo.Manifests().Push(t.Context(), d, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if tag != "" {
		if err := repo.Tag(t.Context(), d, tag); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// pushProduct pushes an EO product: the STAC Item as config, one band layer.
func pushProduct(t *testing.T, repo *remote.Repository, id, tag string, item []byte) ocispec.Descriptor {
	t.Helper()
	if item == nil {
		item = fmt.Appendf(nil, `{"type":"Feature","stac_version":"1.1.0","id":%q,"collection":"l7","bbox":[-35,-8.1,-34.8,-7.9],
			"geometry":{"type":"Polygon","coordinates":[[[-35,-8.1],[-34.8,-8.1],[-34.8,-7.9],[-35,-7.9],[-35,-8.1]]]},
			"properties":{"datetime":"2001-06-01T12:00:00Z"},"links":[],"assets":{"B1":{"href":"B1.tif","type":"image/tiff"}}}`, id)
	}
	cfg := pushBlob(t, repo, stac.MediaTypeItemConfig, item, nil)
	band := pushBlob(t, repo, "image/tiff", []byte("band of "+id), map[string]string{stac.AnnotationTitle: "B1.tif", stac.AnnotationAsset: "B1"})
	m := ocispec.Manifest{
		Versioned: specsV2, MediaType: ocispec.MediaTypeImageManifest, ArtifactType: stac.ArtifactType,
		Config: cfg, Layers: []ocispec.Descriptor{band},
		Annotations: map[string]string{ocispec.AnnotationCreated: "2024-01-02T03:04:05Z"},
	}
	return pushManifest(t, repo, ocispec.MediaTypeImageManifest, m, tag)
}

var specsV2 = specs.Versioned{SchemaVersion: 2}

func TestCrawlIncremental(t *testing.T) {
	ctx := t.Context()
	reg := startRegistry(t)
	a, b, other := reg.repo(t, "eo/a"), reg.repo(t, "eo/b"), reg.repo(t, "other/c")
	pa := pushProduct(t, a, "scene-a", "v1", nil)
	if err := a.Tag(ctx, pa, "latest"); err != nil {
		t.Fatal(err)
	}
	pushProduct(t, other, "scene-c", "v1", nil)
	// eo/b: a plain artifact (not a product) and an image index whose child is a product.
	cfg := pushBlob(t, b, "application/vnd.oci.empty.v1+json", []byte("{}"), nil)
	pushManifest(t, b, ocispec.MediaTypeImageManifest, ocispec.Manifest{Versioned: specsV2, MediaType: ocispec.MediaTypeImageManifest, ArtifactType: "application/x-notes", Config: cfg, Layers: []ocispec.Descriptor{cfg}}, "notes")
	child := pushProduct(t, b, "scene-b", "", nil)
	pushManifest(t, b, ocispec.MediaTypeImageIndex, ocispec.Index{Versioned: specsV2, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{child}}, "multi")

	st := openFile(t)
	sum, err := Crawl(ctx, st, reg.options(t, "eo"))
	if err != nil {
		t.Fatal(err)
	}
	want := "eo/a scene-a [latest v1]\neo/b scene-b []"
	if got := summary(t, st); got != want {
		t.Errorf("index:\n%s\nwant:\n%s", got, want)
	}
	if (sum != Summary{Repositories: 2, Manifests: 4, Indexed: 2, Skipped: 1, Fetched: 2}) {
		t.Errorf("first crawl: %+v", sum)
	}
	e := entry(t, st, "scene-a")
	if e.Digest != pa.Digest || e.Created.Format("2006-01-02T15:04:05Z") != "2024-01-02T03:04:05Z" || e.Assets["B1"].MediaType != "image/tiff" || e.Assets["B1"].Size != int64(len("band of scene-a")) {
		t.Errorf("entry %+v", e)
	}
	gets := reg.blobGets.Load()

	// Rerun: nothing fetched.
	sum, err = Crawl(ctx, st, reg.options(t, "eo"))
	if err != nil {
		t.Fatal(err)
	}
	if (sum != Summary{Repositories: 2, Manifests: 4, Unchanged: 2, Skipped: 1}) || reg.blobGets.Load() != gets {
		t.Errorf("rerun: %+v, %d blob GETs", sum, reg.blobGets.Load()-gets)
	}

	// Move v1 to a new product: the old one stays (by digest, untagged) while the registry has it.
	pushProduct(t, a, "scene-a2", "v1", nil)
	sum, err = Crawl(ctx, st, reg.options(t, "eo"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "eo/a scene-a [latest]\neo/a scene-a2 [v1]\neo/b scene-b []"; summary(t, st) != want {
		t.Errorf("after retag:\n%s\nwant:\n%s", summary(t, st), want)
	}
	if sum.Indexed != 1 || sum.Retagged != 1 || sum.Unchanged != 2 || sum.Fetched != 1 {
		t.Errorf("after retag: %+v", sum)
	}

	// Delete the old product: removed.
	if err := a.Delete(ctx, pa); err != nil {
		t.Fatal(err)
	}
	sum, err = Crawl(ctx, st, reg.options(t, "eo"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "eo/a scene-a2 [v1]\neo/b scene-b []"; summary(t, st) != want {
		t.Errorf("after delete:\n%s\nwant:\n%s", summary(t, st), want)
	}
	if sum.Removed != 1 || sum.Fetched != 0 {
		t.Errorf("after delete: %+v", sum)
	}
}

func TestCrawlGoesOnPastABadProduct(t *testing.T) {
	reg := startRegistry(t)
	pushProduct(t, reg.repo(t, "eo/good"), "good", "v1", nil)
	pushProduct(t, reg.repo(t, "eo/bad"), "bad", "v1", []byte(`{"type":"Feature","id":""}`))
	var warnings []string
	var mu sync.Mutex
	o := reg.options(t, "")
	o.Warn = func(s string) { mu.Lock(); warnings = append(warnings, s); mu.Unlock() }
	st := openFile(t)
	sum, err := Crawl(t.Context(), st, o)
	if !errors.Is(err, ErrFailed) || sum.Failed != 1 || sum.Indexed != 1 {
		t.Fatalf("%+v, %v", sum, err)
	}
	if summary(t, st) != "eo/good good [v1]" {
		t.Errorf("index: %s", summary(t, st))
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "eo/bad@sha256:") {
		t.Errorf("warnings %q", warnings)
	}
}

// Without a catalog, a namespace that is a repository is crawled; without a namespace the
// crawl fails with the catalog's error.
func TestCrawlWithoutCatalog(t *testing.T) {
	reg := startRegistry(t)
	reg.noCatalog.Store(true)
	pushProduct(t, reg.repo(t, "eo/a"), "scene-a", "v1", nil)
	pushProduct(t, reg.repo(t, "eo/b"), "scene-b", "v1", nil)
	var warnings []string
	o := reg.options(t, "eo/a")
	o.Warn = func(s string) { warnings = append(warnings, s) }
	st := openFile(t)
	sum, err := Crawl(t.Context(), st, o)
	if err != nil || sum.Indexed != 1 || summary(t, st) != "eo/a scene-a [v1]" {
		t.Fatalf("%+v %v %s", sum, err, summary(t, st))
	}
	if len(warnings) != 1 || !strings.HasSuffix(warnings[0], ": indexing eo/a as one repository") {
		t.Errorf("warnings %q", warnings)
	}
	if _, err := Crawl(t.Context(), st, reg.options(t, "")); err == nil || !strings.Contains(err.Error(), "listing the catalog") {
		t.Errorf("no namespace, no catalog: %v", err)
	}
}
