package registry

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/stac"
	"github.com/eopack/eopack/stacindex"
)

// stacItem is a STAC Item with one asset B04.
func stacItem(id, collection, datetime string) []byte {
	return []byte(fmt.Sprintf(`{"type":"Feature","stac_version":"1.1.0","id":%q,"collection":%q,
		"bbox":[10,40,11,41],"geometry":{"type":"Polygon","coordinates":[[[10,40],[11,40],[11,41],[10,41],[10,40]]]},
		"properties":{"datetime":%q,"platform":"sentinel-2a"},"links":[],
		"assets":{"B04":{"href":"B04.tif","type":"image/tiff; application=geotiff"}}}`, id, collection, datetime))
}

// pushProduct pushes an EO product as the seed lays it out (the item as an annotated
// geo+json layer, one band layer) and returns its manifest digest and band descriptor.
func (tr *testRegistry) pushProduct(repo, tag string, item []byte, band []byte) (digest.Digest, ocispec.Descriptor) {
	tr.t.Helper()
	il := tr.pushBlob(repo, item)
	il.MediaType, il.Annotations = stac.MediaTypeItemLayer, stac.ItemLayerAnnotations()
	bl := tr.pushBlob(repo, band)
	bl.MediaType, bl.Annotations = "image/tiff", map[string]string{stac.AnnotationTitle: "B04.tif", stac.AnnotationAsset: "B04"}
	body, d := manifestJSON(tr.t, stac.ArtifactType, nil, il, bl)
	tr.pushManifest(repo, tag, body)
	return d, bl
}

func (tr *testRegistry) index() stacindex.Index {
	tr.t.Helper()
	ix, ok := tr.st.Index()
	if !ok {
		tr.t.Fatal("the embedded storage keeps no STAC index")
	}
	return ix
}

// TestSTACIndexFollowsManifests: a product PUT is searchable at once with its asset
// descriptors and tags; a newer push of the same item elsewhere wins; tags are live;
// deleting the current manifest brings the older one back.
func TestSTACIndexFollowsManifests(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	ctx := t.Context()
	ix := tr.index()
	d1, band := tr.pushProduct("eo/s2", "v1", stacItem("S2A_1", "sentinel-2-l2a", "2024-05-01T10:00:00Z"), []byte("band one"))
	h, err := ix.Item(ctx, "sentinel-2-l2a", "S2A_1")
	if err != nil {
		t.Fatal(err)
	}
	if h.Repo != "eo/s2" || h.Digest != d1 || h.Assets["B04"].Digest != band.Digest || h.Assets["B04"].Size != band.Size ||
		!slices.Equal(h.Tags, []string{"v1"}) {
		t.Fatalf("indexed %s@%s assets %v tags %v; want eo/s2@%s B04=%s %v", h.Repo, h.Digest, h.Assets, h.Tags, d1, band.Digest, []string{"v1"})
	}
	d2, _ := tr.pushProduct("eo/mirror", "latest", stacItem("S2A_1", "sentinel-2-l2a", "2024-05-01T10:00:00Z"), []byte("band two"))
	if h, _ = ix.Item(ctx, "sentinel-2-l2a", "S2A_1"); h.Digest != d2 || len(h.Versions) != 1 || h.Versions[0].Digest != d1 {
		t.Fatalf("after a newer push: %s with versions %v; want %s with %s", h.Digest, h.Versions, d2, d1)
	}
	r := tr.do("PUT", "/v2/eo/s2/manifests/"+d1.String()+"?tag=again", mustManifest(t, tr, "eo/s2", d1), "Content-Type", ocispec.MediaTypeImageManifest)
	expect(t, "tag again", r, http.StatusCreated, "")
	expect(t, "delete tag", tr.do("DELETE", "/v2/eo/s2/manifests/v1", nil), http.StatusAccepted, "")
	if h, _ = ix.Item(ctx, "sentinel-2-l2a", "S2A_1"); !slices.Equal(h.Versions[0].Tags, []string{"again"}) {
		t.Errorf("live tags of the older version: %v, want [again]", h.Versions[0].Tags)
	}
	expect(t, "delete manifest", tr.do("DELETE", "/v2/eo/mirror/manifests/"+d2.String(), nil), http.StatusAccepted, "")
	if h, err = ix.Item(ctx, "sentinel-2-l2a", "S2A_1"); err != nil || h.Digest != d1 || len(h.Versions) != 0 {
		t.Fatalf("after deleting the newest: %s, %v; want %s alone", h.Digest, err, d1)
	}
	expect(t, "delete last", tr.do("DELETE", "/v2/eo/s2/manifests/"+d1.String(), nil), http.StatusAccepted, "")
	if _, err := ix.Item(ctx, "sentinel-2-l2a", "S2A_1"); !errors.Is(err, stacindex.ErrNotFound) {
		t.Errorf("after deleting every push: %v, want ErrNotFound", err)
	}
}

// mustManifest reads a manifest body back.
func mustManifest(t *testing.T, tr *testRegistry, repo string, d digest.Digest) []byte {
	r := tr.do("GET", "/v2/"+repo+"/manifests/"+d.String(), nil, "Accept", ocispec.MediaTypeImageManifest)
	expect(t, "GET manifest", r, http.StatusOK, "")
	return r.body
}

// TestSTACIndexNeverRefuses: a product whose item is not a STAC Item is stored, not
// indexed, and logged.
func TestSTACIndexNeverRefuses(t *testing.T) {
	var logged bytes.Buffer
	tr := newTestRegistry(t, Options{Log: log.New(&logged, "", 0)})
	d, _ := tr.pushProduct("eo/bad", "v1", []byte(`{"type":"Feature","id":"x","properties":{}}`), []byte("band"))
	expect(t, "GET", tr.do("GET", "/v2/eo/bad/manifests/"+d.String(), nil), http.StatusOK, "")
	p, err := tr.index().Search(t.Context(), stacindex.Query{Count: true})
	if err != nil || p.NumberMatched != 0 {
		t.Errorf("search: %d matched, %v; want 0", p.NumberMatched, err)
	}
	if !strings.Contains(logged.String(), "not indexed") || !strings.Contains(logged.String(), d.String()) {
		t.Errorf("log %q does not name the manifest left unindexed", logged.String())
	}
}

// TestSTACIndexFailedPut: a manifest PUT that fails (a band not in the repository) leaves
// no index row, though its item was readable.
func TestSTACIndexFailedPut(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	il := tr.pushBlob("eo/x", stacItem("A", "c", "2024-01-01T00:00:00Z"))
	il.MediaType, il.Annotations = stac.MediaTypeItemLayer, stac.ItemLayerAnnotations()
	missing := ocispec.Descriptor{MediaType: "image/tiff", Digest: digest.FromString("never pushed"), Size: 12,
		Annotations: map[string]string{stac.AnnotationAsset: "B04"}}
	body, _ := manifestJSON(t, stac.ArtifactType, nil, il, missing)
	tr.pushBlob("eo/x", ocispec.DescriptorEmptyJSON.Data)
	r := tr.do("PUT", "/v2/eo/x/manifests/v1", body, "Content-Type", ocispec.MediaTypeImageManifest)
	expect(t, "PUT with a missing blob", r, http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN")
	if _, err := tr.index().Item(t.Context(), "c", "A"); !errors.Is(err, stacindex.ErrNotFound) {
		t.Errorf("item of a refused manifest: %v, want ErrNotFound", err)
	}
}

// TestSTACIndexCollectionDocument: a STAC Collection pushed as its own artifact (the
// document as config) is the collection's Doc.
func TestSTACIndexCollectionDocument(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	tr.pushProduct("eo/s2", "v1", stacItem("S2A_1", "sentinel-2-l2a", "2024-05-01T10:00:00Z"), []byte("band"))
	doc := []byte(`{"type":"Collection","stac_version":"1.1.0","id":"sentinel-2-l2a","description":"Sentinel-2 L2A","license":"CC-BY-4.0","extent":{"spatial":{"bbox":[[-180,-90,180,90]]},"temporal":{"interval":[[null,null]]}},"links":[]}`)
	cfg := tr.pushBlob("eo/s2", doc)
	cfg.MediaType = stacindex.MediaTypeCollection
	body, err := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: stacindex.ArtifactTypeCollection, Config: cfg, Layers: []ocispec.Descriptor{ocispec.DescriptorEmptyJSON}})
	if err != nil {
		t.Fatal(err)
	}
	tr.pushManifest("eo/s2", "collection", body)
	c, err := tr.index().Collection(t.Context(), "sentinel-2-l2a")
	if err != nil || !strings.Contains(string(c.Doc), "CC-BY-4.0") || c.Count != 1 {
		t.Errorf("collection: doc %s, count %d, %v", c.Doc, c.Count, err)
	}
}

// TestSTACIndexBackfill: EO products stored before the index existed are indexed once when
// the storage opens, with a log line.
func TestSTACIndexBackfill(t *testing.T) {
	root := t.TempDir()
	st, err := Open(t.Context(), root, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(st, Options{}))
	tr := &testRegistry{t: t, srv: srv, st: st, root: root}
	d, _ := tr.pushProduct("eo/old", "v1", stacItem("OLD", "archive", "2019-03-01T00:00:00Z"), []byte("band"))
	srv.Close()
	st.Close()

	// As a database from before the index: no rows, and the migration's request to backfill.
	db, err := sql.Open("sqlite", filepath.Join(root, "eopack.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DELETE FROM stac_rtree`, `DELETE FROM stac_items`, `UPDATE stac_stats SET value = 1 WHERE name = 'backfill'`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	var logged bytes.Buffer
	st, err = Open(t.Context(), root, &logged)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ix, _ := st.Index()
	if h, err := ix.Item(context.Background(), "archive", "OLD"); err != nil || h.Digest != d {
		t.Fatalf("backfilled item: %v, %v; want %s", h.Digest, err, d)
	}
	if !strings.Contains(logged.String(), "indexed 1 EO product") {
		t.Errorf("log %q does not report the backfill", logged.String())
	}
}
