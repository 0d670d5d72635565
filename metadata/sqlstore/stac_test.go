package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/stacindex"
)

// TestMigrateToSTACIndex: a database of schema version 1 holding an EO product (config = its
// STAC item) and an unrelated manifest migrates on open; Backfill then indexes the product
// once, reports it, and a second Backfill does nothing.
func TestMigrateToSTACIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	db := openSQLite(t, path)
	for _, stmt := range append([]string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)`},
		migrations[0]...) {
		if _, err := db.Exec(SQLite().expand(stmt)); err != nil {
			t.Fatal(err)
		}
	}
	item := []byte(`{"type":"Feature","stac_version":"1.1.0","id":"old-1","collection":"archive","bbox":[1,2,3,4],"geometry":null,"properties":{"datetime":"2018-01-02T03:04:05Z"},"links":[],"assets":{}}`)
	blobs := map[digest.Digest][]byte{digest.FromBytes(item): item}
	product := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.eopack.eo.product.v1","config":{"mediaType":"application/vnd.eopack.stac.item.v1+json","digest":%q,"size":%d},"layers":[]}`,
		digest.FromBytes(item), len(item))
	other := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`
	for _, q := range []string{
		`INSERT INTO schema_migrations (version, applied) VALUES (1, 0)`,
		`INSERT INTO repositories (id, name) VALUES (1, 'eo/old')`,
		fmt.Sprintf(`INSERT INTO manifests (repo_id, digest, media_type, artifact_type, size, created, body)
			VALUES (1, '%s', 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.eopack.eo.product.v1', %d, 1, '%s')`,
			digest.FromString(product), len(product), product),
		fmt.Sprintf(`INSERT INTO manifests (repo_id, digest, media_type, artifact_type, size, created, body)
			VALUES (1, '%s', 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.config.v1+json', %d, 2, '%s')`,
			digest.FromString(other), len(other), other),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(ctx, db, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fetches := 0
	fetch := func(_ context.Context, d digest.Digest) ([]byte, error) {
		fetches++
		if b, ok := blobs[d]; ok {
			return b, nil
		}
		return nil, fmt.Errorf("%s: no such blob", d)
	}
	var log bytes.Buffer
	n, err := s.Backfill(ctx, fetch, &log)
	if err != nil || n != 1 || fetches != 1 {
		t.Fatalf("backfill: %d indexed with %d fetches, %v; want 1 with 1", n, fetches, err)
	}
	if !strings.Contains(log.String(), "indexed 1 EO products") {
		t.Errorf("log %q", log.String())
	}
	h, err := s.Item(ctx, "archive", "old-1")
	if err != nil || h.Repo != "eo/old" || h.Digest != digest.FromString(product) {
		t.Fatalf("backfilled item: %s@%s, %v", h.Repo, h.Digest, err)
	}
	var got map[string]any
	if json.Unmarshal(h.Item, &got) != nil || got["id"] != "old-1" {
		t.Errorf("item %s", h.Item)
	}
	if n, err := s.Backfill(ctx, fetch, &log); n != 0 || err != nil || fetches != 1 {
		t.Errorf("second backfill: %d, %v, %d fetches; want nothing done", n, err, fetches)
	}
	p, err := s.Search(ctx, stacindex.Query{Count: true})
	if err != nil || p.NumberMatched != 1 {
		t.Errorf("search after backfill: %d, %v", p.NumberMatched, err)
	}
}
