package registry

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"sync"
	"syscall"

	"github.com/eopack/eopack/layout"
)

// A repository exists while it holds something: the distribution spec has no repository
// delete, so the registry drops a repository by itself once a DELETE left it empty (no manifest
// listed, no blob, no child repository beneath it), and with it the parent folders that became
// empty: plain folders, and parent repositories that were kept only for this child. ROOT,
// _pool and _uploads are never removed; pool blobs stay for the TTL sweep. A later push, mount
// or upload completion (even of a session started before) simply creates it again.
//
// Every request that writes into a repository (manifest PUT and tags, upload completion,
// mount, DELETE) holds the repository's lock shared, from opening its Store to its last write;
// pruning holds it exclusively. So a write either lands before the emptiness check (and the
// repository stays) or opens a fresh Store after the removal (and recreates the folder).
// Folders are created (layout.OpenWith under FS.mu) and removed (here, under FS.mu) one at a
// time, so a child's creation never races its parent's removal.

// repoLock is one repository's lock, counted so that unused ones leave the map.
type repoLock struct {
	sync.RWMutex
	users int
}

// lockRepo takes repository name's lock (exclusive for pruning, shared for writes) and
// returns its release.
func (f *FS) lockRepo(name string, exclusive bool) (unlock func()) {
	f.locksMu.Lock()
	l := f.locks[name]
	if l == nil {
		l = &repoLock{}
		f.locks[name] = l
	}
	l.users++
	f.locksMu.Unlock()
	if exclusive {
		l.Lock()
	} else {
		l.RLock()
	}
	return func() {
		if exclusive {
			l.Unlock()
		} else {
			l.RUnlock()
		}
		f.locksMu.Lock()
		if l.users--; l.users == 0 {
			delete(f.locks, name)
		}
		f.locksMu.Unlock()
	}
}

// prune drops repository name if a write left it empty. The write itself succeeded, so a
// failure here is only logged: the repository stays listed, empty, as before this feature.
func (h *Handler) prune(r *http.Request, name string) {
	if err := h.fs.prune(name); err != nil && h.opt.Log != nil {
		h.opt.Log.Printf("%s %s: drop emptied repository %s: %v", r.Method, r.URL.Path, name, err)
	}
}

// prune removes repository name if it is empty, then walks up its parents: a parent folder
// that is not a repository goes if it became empty, a parent repository by the same rule as
// name. ROOT and the folders starting with "_" (pool, uploads) are never touched.
func (f *FS) prune(name string) error {
	for name != "" && validName(name) {
		gone, err := f.pruneOne(name)
		if err != nil || !gone {
			return err
		}
		name = parentName(name)
	}
	return nil
}

// pruneOne removes repository (or plain folder) name if it is empty and reports whether its
// folder is gone.
func (f *FS) pruneOne(name string) (bool, error) {
	unlock := f.lockRepo(name, true)
	defer unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	dir := f.dir(name)
	if layout.IsLayout(dir) {
		gone, err := layout.RemoveIfEmpty(dir)
		if !layout.IsLayout(dir) {
			delete(f.repos, name) // its Store must not outlive the layout; Repo reopens it
		}
		return gone, err
	}
	err := os.Remove(dir)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return true, nil
	case errors.Is(err, syscall.ENOTEMPTY), errors.Is(err, syscall.EEXIST):
		return false, nil
	}
	return false, err
}

// parentName is "eo" for "eo/products" and "" for "eo".
func parentName(name string) string {
	if p := path.Dir(name); p != "." {
		return p
	}
	return ""
}
