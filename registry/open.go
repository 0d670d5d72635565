package registry

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/eopack/eopack/blobstore"
	fsstore "github.com/eopack/eopack/blobstore/fs"
	s3store "github.com/eopack/eopack/blobstore/s3"
	"github.com/eopack/eopack/metadata"
	"github.com/eopack/eopack/metadata/postgres"
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

// Location says where a server's storage lives. The zero DB and Blobs are the embedded
// storage under Root; a server that shares its storage with other servers (replicas behind
// one address) names a PostgreSQL database and an S3 bucket, and needs no Root.
type Location struct {
	Root  string // folder of the embedded storage (SQLite and blob files)
	DB    string // postgres:// URL of the metadata database; "": SQLite in Root
	Blobs string // s3://BUCKET/PREFIX?endpoint=… or a folder; "": Root/_blobs
}

func (l Location) String() string {
	db, blobs := l.DB, l.Blobs
	if db == "" {
		db = dbPath(l.Root)
	} else {
		db = redactURL(db)
	}
	if blobs == "" {
		blobs = blobsPath(l.Root)
	}
	return "metadata " + db + ", blobs " + blobs
}

// OpenLocation opens the storage at l, creating the embedded parts if needed (and importing
// a first-format Root, as Open does).
func OpenLocation(ctx context.Context, l Location, log io.Writer) (*Storage, error) {
	if l.DB == "" && l.Blobs == "" {
		return Open(ctx, l.Root, log)
	}
	st, err := openParts(ctx, l, false)
	if err != nil {
		return nil, err
	}
	if err := st.backfill(ctx, log); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// OpenLocationReadOnly opens the storage at l to read it while servers run on it.
func OpenLocationReadOnly(ctx context.Context, l Location) (*Storage, error) {
	if l.DB == "" && l.Blobs == "" {
		return OpenReadOnly(l.Root)
	}
	return openParts(ctx, l, true)
}

func openParts(ctx context.Context, l Location, readOnly bool) (*Storage, error) {
	var meta metadata.Store
	var err error
	switch {
	case l.DB != "":
		if !strings.HasPrefix(l.DB, "postgres://") && !strings.HasPrefix(l.DB, "postgresql://") {
			return nil, fmt.Errorf("--db %s: not a postgres:// URL", redactURL(l.DB))
		}
		meta, err = postgres.Open(ctx, l.DB)
	case l.Root == "":
		return nil, fmt.Errorf("no metadata database: give --db or --root")
	default:
		if err = ensureDir(l.Root); err != nil {
			return nil, err
		}
		if readOnly {
			meta, err = sqlite.OpenReadOnly(dbPath(l.Root))
		} else {
			meta, err = sqlite.Open(dbPath(l.Root))
		}
	}
	if err != nil {
		return nil, err
	}
	var blobs blobstore.Store
	switch {
	case strings.HasPrefix(l.Blobs, "s3://"):
		blobs, err = s3store.Open(ctx, l.Blobs)
	case strings.Contains(l.Blobs, "://"):
		err = fmt.Errorf("--blobs %s: not an s3:// URL or a folder", redactURL(l.Blobs))
	case l.Blobs != "":
		blobs, err = fsstore.Open(l.Blobs)
	case l.Root == "":
		err = fmt.Errorf("no blob storage: give --blobs or --root")
	default:
		blobs, err = fsstore.Open(blobsPath(l.Root))
	}
	if err != nil {
		meta.Close()
		return nil, err
	}
	return NewStorage(meta, blobs), nil
}

// redactURL drops a URL's password, for messages and logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

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
	if err := st.backfill(ctx, log); err != nil {
		st.Close()
		return nil, err
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
