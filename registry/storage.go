package registry

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eopack/eopack/layout"
	"oras.land/oras-go/v2/errdef"
)

// FS is the registry's storage: one OCI layout per repository under root, blobs in a shared
// pool, upload sessions in root/_uploads (see the package comment for the tree).
type FS struct {
	root    string
	pool    *layout.Pool
	uploads *uploads

	mu    sync.Mutex // guards repos and every creation or removal of a repository's folder
	repos map[string]*layout.Store

	locksMu sync.Mutex
	locks   map[string]*repoLock

	testHookWrite func(name string) // tests widen the window between opening and writing
}

// NewFS opens (creating if needed) registry storage at root.
func NewFS(root string) (*FS, error) {
	pool, err := layout.OpenPool(filepath.Join(root, "_pool"))
	if err != nil {
		return nil, err
	}
	up, err := newUploads(filepath.Join(root, "_uploads"))
	if err != nil {
		return nil, err
	}
	return &FS{root: root, pool: pool, uploads: up, repos: map[string]*layout.Store{},
		locks: map[string]*repoLock{}}, nil
}

// Root is the storage folder.
func (f *FS) Root() string { return f.root }

// Repo opens repository name. Without create, a repository that does not exist yet wraps
// ErrNameUnknown.
func (f *FS) Repo(name string, create bool) (*layout.Store, error) {
	if !validName(name) {
		return nil, errf(ErrNameInvalid, "%q", name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.repos[name]; ok {
		return s, nil
	}
	s, err := layout.OpenWith(f.dir(name), layout.Options{Pool: f.pool, NoCreate: !create})
	if errors.Is(err, errdef.ErrNotFound) {
		return nil, errf(ErrNameUnknown, "%s", name)
	}
	if err != nil {
		return nil, err
	}
	f.repos[name] = s
	return s, nil
}

func (f *FS) dir(name string) string { return filepath.Join(f.root, filepath.FromSlash(name)) }

// beforeWrite runs between a write request opening repository name and writing into it.
func (f *FS) beforeWrite(name string) {
	if f.testHookWrite != nil {
		f.testHookWrite(name)
	}
}

// Catalog lists the repositories (folders holding an oci-layout file), sorted.
func (f *FS) Catalog(ctx context.Context) ([]string, error) {
	var names []string
	err := filepath.WalkDir(f.root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if path == f.root {
				return err
			}
			return nil
		}
		if !e.IsDir() {
			return nil
		}
		base := e.Name()
		if path != f.root && (strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") || base == "blobs") {
			return filepath.SkipDir
		}
		if path != f.root && layout.IsLayout(path) {
			rel, _ := filepath.Rel(f.root, path)
			if name := filepath.ToSlash(rel); validName(name) {
				names = append(names, name)
			}
		}
		return ctx.Err()
	})
	sort.Strings(names)
	return names, err
}

// Sweep removes upload sessions and pool temp files older than ttl and pool blobs no
// repository links to any more.
func (f *FS) Sweep(ttl time.Duration) {
	f.uploads.sweep(ttl)
	f.pool.Sweep(ttl)
}

// cleanupLoop sweeps every interval until ctx is done.
func (f *FS) cleanupLoop(ctx context.Context, ttl time.Duration) {
	interval := min(ttl/2, time.Minute)
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.Sweep(ttl)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
