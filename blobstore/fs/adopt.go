package fsstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/internal/fsutil"
	"github.com/opencontainers/go-digest"
)

// Adopt makes the file at path blob d (size bytes; size < 0: unknown), for a migration from
// another layout. The file is read and checked first: a mismatch wraps
// blobstore.ErrDigestMismatch or blobstore.ErrSizeMismatch and changes nothing. On the
// store's file system the file is then fsynced and hard-linked into place, so its bytes are
// stored once; elsewhere it is copied with Put. An existing blob d is kept.
//
// The caller must guarantee that nothing writes to path afterwards: after a link the blob
// and path are one inode, and a write through path would change a verified blob.
func (s *Store) Adopt(ctx context.Context, path string, d digest.Digest, size int64) error {
	dst, err := s.Path(d)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("adopt %s: %w", d, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("adopt %s: %s is not a regular file", d, path)
	}
	if !s.sameDevice(fi) {
		return s.adoptCopy(ctx, f, d, size)
	}
	if size >= 0 && fi.Size() != size {
		return fmt.Errorf("adopt %s: %s has %d bytes, expected %d: %w", d, path, fi.Size(), size, blobstore.ErrSizeMismatch)
	}
	h := d.Algorithm().Hash()
	if _, err := io.CopyBuffer(h, fsutil.ContextReader(ctx, f), make([]byte, 1<<20)); err != nil {
		return fmt.Errorf("adopt %s: %w", d, err)
	}
	if got := digest.NewDigestFromEncoded(d.Algorithm(), hex.EncodeToString(h.Sum(nil))); got != d {
		return fmt.Errorf("adopt %s: %s is %s: %w", d, path, got, blobstore.ErrDigestMismatch)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("adopt %s: %w", d, err)
	}
	if err := s.blobDir(dst); err != nil {
		return err
	}
	switch err := os.Link(path, dst); {
	case errors.Is(err, fs.ErrExist):
		return nil
	case errors.Is(err, syscall.EXDEV): // one device, other mounts (bind mounts)
		return s.adoptCopy(ctx, f, d, size)
	case err != nil:
		return fmt.Errorf("adopt %s: %w", d, err)
	}
	return fsutil.SyncDir(filepath.Dir(dst))
}

// adoptCopy copies f from its start into the store with Put, verifying on the way.
func (s *Store) adoptCopy(ctx context.Context, f *os.File, d digest.Digest, size int64) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := s.Put(ctx, d, size, f); err != nil {
		return fmt.Errorf("adopt: %w", err)
	}
	return nil
}

// sameDevice reports whether fi is a file on the store's file system.
func (s *Store) sameDevice(fi fs.FileInfo) bool {
	root, err := os.Stat(s.root)
	if err != nil {
		return false
	}
	a, ok1 := fi.Sys().(*syscall.Stat_t)
	b, ok2 := root.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && a.Dev == b.Dev
}

// SweepTemp removes .ingest temp files last modified more than olderThan ago: what Puts
// cut short by a crash left behind. olderThan must exceed the longest Put, since a running
// Put's file is modified at every write. It returns how many files it removed.
func (s *Store) SweepTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	dir := filepath.Join(s.root, ingestDir)
	cutoff := time.Now().Add(-olderThan)
	n := 0
	err := eachEntry(ctx, dir, func(e fs.DirEntry) error {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), tempPrefix) {
			return nil
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			return nil
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
			n++
		}
		return nil
	})
	return n, err
}
