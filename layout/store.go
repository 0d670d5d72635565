package layout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"

	"github.com/eopack/eopack/internal/fsutil"
)

// Options configure a Store; the zero value is a standalone layout that creates itself.
type Options struct {
	// Pool, if set, holds the blobs; the layout's blobs are hard links into it.
	Pool *Pool
	// NoCreate makes Open fail with errdef.ErrNotFound instead of creating a missing layout.
	NoCreate bool
}

// Store is an OCI image layout on disk. It implements oras.Target, content.Deleter,
// registry.TagLister and content.PredecessorFinder. It is safe for concurrent use by
// goroutines; index.json changes are also serialised between processes by flock.
type Store struct {
	root string
	pool *Pool

	mu    sync.Mutex // guards idx and nodes
	idx   indexCache
	nodes map[digest.Digest]*node
}

const layoutVersion = "1.0.0"

// Open opens the layout at root, creating root, oci-layout and index.json if absent.
func Open(root string) (*Store, error) { return OpenWith(root, Options{}) }

// OpenWith opens the layout at root with options.
func OpenWith(root string, o Options) (*Store, error) {
	s := &Store{root: root, pool: o.Pool, nodes: map[digest.Digest]*node{}}
	layoutFile := filepath.Join(root, ocispec.ImageLayoutFile)
	data, err := os.ReadFile(layoutFile)
	switch {
	case err == nil:
		var l ocispec.ImageLayout
		if err := json.Unmarshal(data, &l); err != nil {
			return nil, fmt.Errorf("%s: %v: %w", layoutFile, err, errdef.ErrUnsupportedVersion)
		}
		if l.Version != layoutVersion {
			return nil, fmt.Errorf("%s: imageLayoutVersion %q: %w", layoutFile, l.Version, errdef.ErrUnsupportedVersion)
		}
	case errors.Is(err, fs.ErrNotExist) && o.NoCreate:
		return nil, fmt.Errorf("layout %s: %w", root, errdef.ErrNotFound)
	case errors.Is(err, fs.ErrNotExist):
		if err := s.create(); err != nil {
			return nil, fmt.Errorf("create layout %s: %w", root, err)
		}
	default:
		return nil, err
	}
	if _, err := s.index(); err != nil {
		return nil, err
	}
	return s, nil
}

// IsLayout reports whether dir holds an oci-layout file.
func IsLayout(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ocispec.ImageLayoutFile))
	return err == nil
}

// create writes oci-layout and an empty index.json (each only if absent) under the lock.
func (s *Store) create() error {
	if err := os.MkdirAll(filepath.Join(s.root, "blobs"), 0o755); err != nil {
		return err
	}
	unlock, err := s.flock()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(s.root, ocispec.ImageIndexFile)); errors.Is(err, fs.ErrNotExist) {
		if err := s.writeIndexFile(nil); err != nil {
			return err
		}
	}
	lf := filepath.Join(s.root, ocispec.ImageLayoutFile)
	if _, err := os.Stat(lf); errors.Is(err, fs.ErrNotExist) {
		data, _ := json.Marshal(ocispec.ImageLayout{Version: layoutVersion})
		return fsutil.WriteData(lf, data, 0o644)
	}
	return nil
}

// Root is the layout's folder.
func (s *Store) Root() string { return s.root }

// BlobPath is the path of blob d's file in this layout.
func (s *Store) BlobPath(d digest.Digest) string {
	return filepath.Join(s.root, "blobs", d.Algorithm().String(), d.Encoded())
}

// Fetch opens blob d. The returned reader is an *os.File.
func (s *Store) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	if err := d.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("%q: %v: %w", d.Digest, err, errdef.ErrInvalidDigest)
	}
	f, err := os.Open(s.BlobPath(d.Digest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", d.Digest, errdef.ErrNotFound)
	}
	return f, err
}

// Exists reports whether blob d is in the layout.
func (s *Store) Exists(ctx context.Context, d ocispec.Descriptor) (bool, error) {
	if err := d.Digest.Validate(); err != nil {
		return false, fmt.Errorf("%q: %v: %w", d.Digest, err, errdef.ErrInvalidDigest)
	}
	_, err := os.Stat(s.BlobPath(d.Digest))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Push streams r into the layout as blob d, verifying size and digest while writing. Nothing
// is kept on mismatch (content.ErrMismatchedDigest, content.ErrTrailingData or
// io.ErrUnexpectedEOF wrapped). An existing blob gives errdef.ErrAlreadyExists. A pushed
// manifest is listed in index.json (without a tag).
func (s *Store) Push(ctx context.Context, d ocispec.Descriptor, r io.Reader) error {
	err := s.pushBlob(ctx, d, r)
	if (err == nil || errors.Is(err, errdef.ErrAlreadyExists)) && IsManifest(d.MediaType) {
		if lerr := s.listManifest(d); lerr != nil {
			return lerr
		}
	}
	return err
}

// PushReference pushes manifest d and tags it reference with one index.json update
// (registry.ReferencePusher). A manifest already present is tagged, not an error.
func (s *Store) PushReference(ctx context.Context, d ocispec.Descriptor, r io.Reader, reference string) error {
	if err := s.pushBlob(ctx, d, r); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return err
	}
	return s.Tag(ctx, d, reference)
}

// pushBlob writes blob d (into the pool and linked, if there is one) without touching the index.
func (s *Store) pushBlob(ctx context.Context, d ocispec.Descriptor, r io.Reader) error {
	exists, err := s.Exists(ctx, d)
	if err != nil {
		return err
	}
	if exists {
		return fmt.Errorf("%s: %w", d.Digest, errdef.ErrAlreadyExists)
	}
	if s.pool != nil {
		if err := s.pool.Ingest(ctx, d, r); err != nil {
			return err
		}
		return linkInto(s.pool.Path(d.Digest), s.BlobPath(d.Digest))
	}
	tmp, err := writeVerified(ctx, filepath.Join(s.root, ingestDir), d, r)
	if err != nil {
		return err
	}
	return adopt(tmp, s.BlobPath(d.Digest))
}

// Adopt moves tmp, a complete, verified and fsynced file holding blob d on the same file
// system, into the layout (into the pool, linked here, if the store has a pool).
func (s *Store) Adopt(ctx context.Context, d ocispec.Descriptor, tmp string) error {
	if s.pool != nil {
		if err := s.pool.Adopt(d.Digest, tmp); err != nil {
			return err
		}
		return linkInto(s.pool.Path(d.Digest), s.BlobPath(d.Digest))
	}
	return adopt(tmp, s.BlobPath(d.Digest))
}

// Mount makes blob d, already in the store's pool, part of this layout without copying it.
// It wraps errdef.ErrNotFound if the pool lacks d and errdef.ErrUnsupported without a pool.
func (s *Store) Mount(ctx context.Context, d digest.Digest) error {
	if s.pool == nil {
		return fmt.Errorf("mount %s: no pool: %w", d, errdef.ErrUnsupported)
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%q: %v: %w", d, err, errdef.ErrInvalidDigest)
	}
	return linkInto(s.pool.Path(d), s.BlobPath(d))
}

// Delete removes blob d; a manifest is also dropped from index.json with all its tags.
func (s *Store) Delete(ctx context.Context, d ocispec.Descriptor) error {
	exists, err := s.Exists(ctx, d)
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("%s: %w", d.Digest, errdef.ErrNotFound)
	}
	if err := s.updateIndex(func(entries []ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		kept := entries[:0]
		for _, e := range entries {
			if e.Digest != d.Digest {
				kept = append(kept, e)
			}
		}
		return kept, nil
	}); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.nodes, d.Digest)
	s.mu.Unlock()
	if err := os.Remove(s.BlobPath(d.Digest)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// IsManifest reports whether mediaType is an OCI or Docker manifest or index.
func IsManifest(mediaType string) bool {
	switch mediaType {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex,
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json":
		return true
	}
	return false
}

// Interfaces the store is used through.
var (
	_ oras.Target               = (*Store)(nil)
	_ content.Deleter           = (*Store)(nil)
	_ content.PredecessorFinder = (*Store)(nil)
	_ registry.TagLister        = (*Store)(nil)
	_ registry.ReferencePusher  = (*Store)(nil)
)
