package stacindex

import (
	"context"
	"errors"

	"github.com/opencontainers/go-digest"
)

// File is a standalone index (one SQLite file), as `eopack stac index` writes it: the same
// item tables as the registry's metadata database, with tags kept in a table of their own.
type File struct{}

var _ Index = (*File)(nil)

var errTODO = errors.New("stacindex: not implemented yet")

// OpenFile opens (creating if needed) the index file at path.
func OpenFile(path string) (*File, error) { return nil, errTODO }

// Put inserts or replaces the entry of manifest (e.Repo, e.Digest).
func (f *File) Put(ctx context.Context, e Entry) error { return errTODO }

// PutCollection inserts or replaces a pushed STAC Collection document.
func (f *File) PutCollection(ctx context.Context, c CollectionDoc) error { return errTODO }

// Delete removes the entry of manifest d of repo (an unknown one is not an error).
func (f *File) Delete(ctx context.Context, repo string, d digest.Digest) error { return errTODO }

// Digests lists the indexed manifests of repo with their tags (for incremental crawls).
func (f *File) Digests(ctx context.Context, repo string) (map[digest.Digest][]string, error) {
	return nil, errTODO
}

// SetTags replaces the tags of an indexed manifest.
func (f *File) SetTags(ctx context.Context, repo string, d digest.Digest, tags []string) error {
	return errTODO
}

// Close closes the file.
func (f *File) Close() error { return nil }

// Search implements Index.
func (f *File) Search(ctx context.Context, q Query) (Page, error) { return Page{}, errTODO }

// Collections implements Index.
func (f *File) Collections(ctx context.Context) ([]Collection, error) { return nil, errTODO }

// Collection implements Index.
func (f *File) Collection(ctx context.Context, id string) (Collection, error) {
	return Collection{}, errTODO
}

// Item implements Index.
func (f *File) Item(ctx context.Context, collection, id string) (Hit, error) { return Hit{}, errTODO }

// Queryables implements Index.
func (f *File) Queryables(ctx context.Context, collection string) (map[string]any, error) {
	return nil, errTODO
}
