// Package migrate imports the v1 storage of `eopack serve` (one OCI image layout per
// repository, blobs hard-linked from a shared pool) into storage v2: a metadata.Store and a
// blobstore.Store. It reads this tree, written by the registry and layout packages up to v1:
//
//	ROOT/
//	├── _pool/                      every blob once
//	│   ├── .ingest/                temp files (ignored)
//	│   └── sha256/<hex>, sha512/<hex>
//	├── _uploads/<session-id>       upload sessions in progress (dropped: clients restart them)
//	└── <repository name>/          a folder holding oci-layout is a repository, e.g. eo/products/
//	    ├── oci-layout              {"imageLayoutVersion":"1.0.0"}
//	    ├── index.json              tags (org.opencontainers.image.ref.name) and untagged manifests
//	    ├── .lock, .ingest/         flock target and temp files (ignored)
//	    ├── blobs/<alg>/<hex>       hard links into _pool: manifests, configs, layers
//	    └── <more names>/           repositories beneath this one (eo/landsat/l7 in eo/landsat)
//
// A manifest of a repository is a blob listed in index.json, a child of such an index, or any
// other blob of the repository whose body is a manifest (a tag moved away left its old
// manifest unlisted, yet v1 served it by digest). Every other blob of the repository becomes
// a blob link.
//
// Names starting with "_" or "." are never repositories; the v2 stores may live under such
// names in ROOT (the filesystem blob store in ROOT/_blobs) and are never touched here.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	// Register the hash functions go-digest looks up by algorithm.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/metadata"
)

// Names of the v1 tree's own folders under ROOT, and of what the import leaves there.
const (
	poolDir    = "_pool"
	uploadsDir = "_uploads"
	// LeftoverDir keeps the old tree when something could not be imported. Its files may be
	// hard links to blobs of the filesystem blob store: read or delete them, never edit them.
	LeftoverDir = "_v1-leftover"
	journalFile = "_v1-finish.json"
)

// Adopter is a blob store that can take a complete file as blob d without copying it (the
// filesystem store hard-links it). Adopt checks the file against d first, as Put does (a
// mismatch wraps blobstore.ErrDigestMismatch or ErrSizeMismatch and stores nothing); the
// import never writes to adopted files afterwards.
type Adopter interface {
	Adopt(ctx context.Context, path string, d digest.Digest, size int64) error
}

// IsV1 reports whether root holds v1 storage to import: a _pool folder, or the record of an
// import whose removal of the old tree was interrupted.
func IsV1(root string) bool {
	for _, name := range []string{poolDir, journalFile} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			return true
		}
	}
	return false
}

// ImportV1 imports the v1 tree at root into meta and blobs, then removes the old tree, or,
// if any blob was corrupt or any manifest could not be stored, moves it to
// ROOT/_v1-leftover/ so nothing is lost. Progress and every problem are written to log (nil:
// nowhere). Every store call is idempotent, so after a crash a rerun gives the same result;
// on a root that is not v1 (already imported) it does nothing. It must run before the
// registry serves root or collects garbage in its stores.
//
// The returned error is for failures that stop the import (a store or file system error);
// the old tree is then left in place. Corrupt blobs and skipped manifests are not errors:
// they are listed in the Report.
func ImportV1(ctx context.Context, root string, meta metadata.Store, blobs blobstore.Store, log io.Writer) (Report, error) {
	if log == nil {
		log = io.Discard
	}
	im := &importer{root: root, meta: meta, blobs: blobs, log: log,
		known: map[digest.Digest]int64{}, corrupt: map[digest.Digest]bool{}}
	done, err := im.resumeFinish()
	if err != nil || done {
		return im.rep, err
	}
	if !IsV1(root) {
		return im.rep, nil
	}
	if err := im.importPool(ctx); err != nil {
		return im.rep, err
	}
	repos, err := findRepos(ctx, root)
	if err != nil {
		return im.rep, err
	}
	for _, name := range repos {
		if err := im.importRepo(ctx, name); err != nil {
			return im.rep, fmt.Errorf("repository %s: %w", name, err)
		}
	}
	if im.rep.Sessions, err = countFiles(filepath.Join(root, uploadsDir)); err != nil {
		return im.rep, err
	}
	if err := im.finish(repos); err != nil {
		return im.rep, err
	}
	fmt.Fprintln(log, im.rep.String())
	return im.rep, nil
}

// importer holds the state of one import.
type importer struct {
	root  string
	meta  metadata.Store
	blobs blobstore.Store
	log   io.Writer
	rep   Report

	known   map[digest.Digest]int64 // blobs the blob store holds, with their sizes
	corrupt map[digest.Digest]bool  // blobs whose v1 file does not match its name
}

func (im *importer) logf(format string, a ...any) {
	fmt.Fprintf(im.log, "v1 import: "+format+"\n", a...)
}

// countFiles counts the regular files directly in dir; a missing dir has none.
func countFiles(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	n := 0
	for _, e := range entries {
		if e.Type().IsRegular() {
			n++
		}
	}
	return n, err
}
