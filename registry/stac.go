package registry

import (
	"context"
	"fmt"
	"io"
	"log"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
	"github.com/eopack/eopack/stacindex"
)

// Index is the STAC index of the storage's EO products, kept by its metadata store (SQLite
// and PostgreSQL keep one); ok is false for a store without one.
func (s *Storage) Index() (stacindex.Index, bool) {
	ix, ok := s.Meta.(stacindex.Index)
	return ix, ok
}

// readDoc reads a small blob (a STAC Item or Collection), at most stacindex.MaxDocSize bytes.
func (s *Storage) readDoc(ctx context.Context, d digest.Digest) ([]byte, error) {
	rc, info, err := s.Blobs.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if info.Size > stacindex.MaxDocSize {
		return nil, fmt.Errorf("%s is %d bytes, over the index's %d", d, info.Size, stacindex.MaxDocSize)
	}
	return io.ReadAll(io.LimitReader(rc, stacindex.MaxDocSize))
}

// indexRecord fills p.Product or p.Collection when the manifest is an EO product or a STAC
// Collection document and the metadata store keeps a STAC index. The index never refuses a
// manifest: one whose document cannot be read is stored unindexed, and logged.
func (h *Handler) indexRecord(ctx context.Context, p *metadata.PutManifest, lg *log.Logger) {
	if _, ok := h.st.Index(); !ok {
		return
	}
	m := p.Manifest
	fetch := func(d digest.Digest) ([]byte, error) { return h.st.readDoc(ctx, d) }
	e, ok, err := stacindex.FromManifest(p.Repo, m.Digest, m.Body, fetch)
	if err == nil && ok {
		p.Product = &e
		return
	}
	if err == nil {
		var doc stacindex.CollectionDoc
		if doc, ok, err = stacindex.CollectionFromManifest(p.Repo, m.Digest, m.Body, fetch); err == nil && ok {
			p.Collection = &doc
			return
		}
	}
	if err != nil && lg != nil {
		lg.Printf("STAC index: %v (stored, not indexed)", err)
	}
}

// backfill indexes what the storage held before its metadata store kept a STAC index.
func (s *Storage) backfill(ctx context.Context, log io.Writer) error {
	b, ok := s.Meta.(interface {
		Backfill(ctx context.Context, fetch func(context.Context, digest.Digest) ([]byte, error), log io.Writer) (int, error)
	})
	if !ok {
		return nil
	}
	if log == nil {
		log = io.Discard
	}
	_, err := b.Backfill(ctx, s.readDoc, log)
	return err
}
