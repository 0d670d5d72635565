package layout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/fsutil"
)

// RemoveIfEmpty removes the layout at dir if it holds nothing: index.json lists no manifests,
// blobs/ holds no blob, and dir has no other entry (a nested layout such as a child repository,
// or any foreign file, keeps it). It reports whether dir is gone afterwards.
//
// oci-layout goes first, so a crash part-way leaves a folder that is no longer a layout and that
// Open repairs. The layout's file lock is held while it checks and removes, which orders it with
// index writers of other processes; writers in this process must be kept out by the caller
// (the Store of a removed layout must not be used again: open a new one).
func RemoveIfEmpty(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if !removable(dir, e) {
			return false, nil
		}
	}
	s := &Store{root: dir}
	unlock, err := s.flock()
	if err != nil {
		return false, err
	}
	defer unlock()
	if n, err := listedManifests(s.indexPath()); err != nil || n > 0 {
		return false, err
	}
	// Re-read: another process may have written between the first look and the lock.
	if entries, err = os.ReadDir(dir); err != nil {
		return false, err
	}
	for _, e := range entries {
		if !removable(dir, e) {
			return false, nil
		}
	}
	order := []string{ocispec.ImageLayoutFile, ocispec.ImageIndexFile}
	for _, e := range entries {
		if n := e.Name(); n != ocispec.ImageLayoutFile && n != ocispec.ImageIndexFile && n != ".lock" {
			order = append(order, n)
		}
	}
	for _, n := range append(order, ".lock") {
		if err := removeEmptyTree(filepath.Join(dir, n)); err != nil {
			return false, fmt.Errorf("remove empty layout %s: %w", dir, err)
		}
	}
	if err := os.Remove(dir); err != nil {
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
			return false, nil // something appeared meanwhile; it is no longer a layout
		}
		return false, err
	}
	return true, fsutil.SyncDir(filepath.Dir(dir))
}

// removable reports whether entry e of a layout folder may go when the layout is emptied:
// the layout's own files, stale temp files of index.json and oci-layout, and blob/ingest
// folders that hold no file.
func removable(dir string, e fs.DirEntry) bool {
	switch n := e.Name(); {
	case n == ocispec.ImageLayoutFile || n == ocispec.ImageIndexFile || n == ".lock":
		return !e.IsDir()
	case strings.HasPrefix(n, "."+ocispec.ImageIndexFile+".tmp-"), strings.HasPrefix(n, "."+ocispec.ImageLayoutFile+".tmp-"):
		return !e.IsDir()
	case n == "blobs" || n == ingestDir:
		return e.IsDir() && noFiles(filepath.Join(dir, n))
	}
	return false
}

// noFiles reports whether the tree at dir holds only folders.
func noFiles(dir string) bool {
	empty := true
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			empty = false
			return filepath.SkipAll
		}
		return nil
	})
	return err == nil && empty
}

// listedManifests counts the manifests index.json lists (0 if it is absent).
func listedManifests(path string) (int, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return len(idx.Manifests), nil
}

// removeEmptyTree removes path, a file or a tree of folders holding no file; it never removes
// a file below a folder, so a blob written meanwhile makes it fail rather than vanish.
func removeEmptyTree(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.IsDir() {
				return fmt.Errorf("%s: %w", filepath.Join(path, e.Name()), syscall.ENOTEMPTY)
			}
			if err := removeEmptyTree(filepath.Join(path, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
