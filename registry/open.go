package registry

import (
	"context"
	"fmt"
	"io"

	fsstore "github.com/eopack/eopack/blobstore/fs"
	"github.com/eopack/eopack/metadata/sqlite"
	"github.com/eopack/eopack/metadata/sqlstore"
	"github.com/eopack/eopack/migrate"
)

// The embedded storage under --root:
//
//	ROOT/
//	├── eopack.db, eopack.db-wal, eopack.db-shm   metadata (SQLite, WAL mode)
//	├── eopack.db.lock                           held by the one server using ROOT
//	└── _blobs/                                  blob bytes (package blobstore/fs):
//	    ├── sha256/<2 hex>/<hex>, sha512/…        complete, verified blobs
//	    ├── .uploads/<session id>                 upload sessions' bytes
//	    └── .ingest/                              single writes in progress
//
// A ROOT written by the first storage format (one OCI image layout per repository and a
// hard-linked _pool) is imported on open (package migrate).

// Open opens (creating if needed) the embedded storage at root, importing a first-format
// root first. log receives the import's report.
func Open(ctx context.Context, root string, log io.Writer) (*Storage, error) {
	if err := ensureDir(root); err != nil {
		return nil, err
	}
	st, err := openEmbedded(root, sqlite.Open)
	if err != nil {
		return nil, err
	}
	if migrate.IsV1(root) {
		if _, err := migrate.ImportV1(ctx, root, st.Meta, st.Blobs, log); err != nil { // it logs its report
			st.Close()
			return nil, fmt.Errorf("import %s: %w", root, err)
		}
	}
	return st, nil
}

// OpenReadOnly opens the embedded storage at root for reading, while a server may be
// running on it (gc --dry-run).
func OpenReadOnly(root string) (*Storage, error) {
	return openEmbedded(root, sqlite.OpenReadOnly)
}

func openEmbedded(root string, openDB func(string) (*sqlstore.Store, error)) (*Storage, error) {
	meta, err := openDB(dbPath(root))
	if err != nil {
		return nil, err
	}
	blobs, err := fsstore.Open(blobsPath(root))
	if err != nil {
		meta.Close()
		return nil, err
	}
	return NewStorage(meta, blobs), nil
}
