// Package fsstore is the filesystem blobstore.Store: the default blob storage of
// `eopack serve`, one folder on one file system.
//
// On-disk tree (the registry passes ROOT = <serve --root>/_blobs):
//
//	ROOT/
//	├── sha256/<first 2 hex>/<hex>   complete, verified blobs (also sha384/, sha512/)
//	├── .uploads/<id>                upload sessions' bytes; id is 32 lowercase hex digits
//	└── .ingest/tmp-*                Put in progress (temp files, removed or renamed), where
//	                                 the file system has no unnamed files (O_TMPFILE)
//
// A name under <alg>/ only ever appears by link(2) or rename(2) of a file that is complete
// and fsynced, followed by an fsync of the folder: Put links its unnamed file (or renames its
// temp file) once it has verified the bytes while writing them, Commit renames the session
// file (the caller has verified its bytes). An unnamed file is freed by the kernel if the Put
// ends without linking it, crash included, and its fsync syncs no folder it would be named
// in; Open finds out whether the file system has them. A session file is
// never hard-linked to a blob, so no client can write to a blob's inode through its session;
// Append and Commit hold flock(2) on the session file and Append refuses a file that is no
// longer the session's, so a late Append cannot write into a committed blob.
//
// The upload state this store hands back is nil: the session's path follows from its id.
package fsstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	// Register the hash functions go-digest looks up by algorithm.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/internal/fsutil"
	"github.com/eopack/eopack/layout"
	"github.com/opencontainers/go-digest"
)

const (
	uploadsDir = ".uploads"
	ingestDir  = ".ingest"
	tempPrefix = "tmp-"
)

// algorithms are the digest algorithms the store keeps, one top-level folder each.
var algorithms = []digest.Algorithm{digest.SHA256, digest.SHA384, digest.SHA512}

// Store is a blobstore.Store in a folder. Methods are safe for concurrent use, also by
// several processes sharing the folder.
type Store struct {
	root    string
	unnamed bool // Put writes unnamed files (openUnnamed) rather than temp files
}

var _ blobstore.Store = (*Store)(nil)

// Open creates (if needed) and opens the store at root.
func Open(root string) (*Store, error) {
	for _, dir := range []string{uploadsDir, ingestDir} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			return nil, fmt.Errorf("open blob store: %w", err)
		}
	}
	return &Store{root: root, unnamed: canLinkUnnamed(filepath.Join(root, ingestDir))}, nil
}

// canLinkUnnamed reports whether an unnamed file can be made in dir and then named there.
func canLinkUnnamed(dir string) bool {
	f, err := openUnnamed(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	name := filepath.Join(dir, tempName())
	if err := linkUnnamed(f, name); err != nil {
		return false
	}
	return os.Remove(name) == nil
}

// Root is the store's folder.
func (s *Store) Root() string { return s.root }

// Path is where blob d lives, or an error if d is not a valid digest of a kept algorithm.
func (s *Store) Path(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("invalid digest %q: %v", d, err)
	}
	enc := d.Encoded()
	return filepath.Join(s.root, d.Algorithm().String(), enc[:2], enc), nil
}

// Stat describes blob d; missing (or an invalid digest) wraps blobstore.ErrNotFound.
func (s *Store) Stat(ctx context.Context, d digest.Digest) (blobstore.Info, error) {
	p, err := s.Path(d)
	if err != nil {
		return blobstore.Info{}, fmt.Errorf("%w: %w", err, blobstore.ErrNotFound)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return blobstore.Info{}, notFound(d, err)
	}
	return blobstore.Info{Digest: d, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Open opens blob d; the reader is an *os.File. Missing wraps blobstore.ErrNotFound.
func (s *Store) Open(ctx context.Context, d digest.Digest) (io.ReadSeekCloser, blobstore.Info, error) {
	p, err := s.Path(d)
	if err != nil {
		return nil, blobstore.Info{}, fmt.Errorf("%w: %w", err, blobstore.ErrNotFound)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, blobstore.Info{}, notFound(d, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, blobstore.Info{}, err
	}
	return f, blobstore.Info{Digest: d, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Put stores r as blob d: written to an unnamed file (or a temp file) in .ingest while
// hashed, checked, fsynced, then linked (or renamed) to its final path. The bytes are always
// read and verified, even if d exists, so a client cannot claim a blob it does not have. An
// existing blob is kept when the new file is unnamed (the link finds the name taken; the
// bytes are the same) and replaced by a temp file: that rename is atomic, and readers
// holding the old file keep reading it.
func (s *Store) Put(ctx context.Context, d digest.Digest, size int64, r io.Reader) (int64, error) {
	dst, err := s.Path(d)
	if err != nil {
		return 0, err
	}
	f, named, err := s.newFile()
	if err != nil {
		return 0, err
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			if named {
				os.Remove(f.Name())
			}
		}
	}()
	h := d.Algorithm().Hash()
	n, err := layout.WriteHashed(ctx, f, 0, h, blobstore.Bounded(r, size))
	if err != nil {
		return n, fmt.Errorf("put %s: %w", d, err)
	}
	if err := blobstore.Check(d, size, n, h); err != nil {
		return n, err
	}
	if err := f.Sync(); err != nil {
		return n, fmt.Errorf("put %s: %w", d, err)
	}
	if !named {
		committed = true // link closes f
		return n, s.link(f, d, dst)
	}
	if err := f.Close(); err != nil {
		return n, fmt.Errorf("put %s: %w", d, err)
	}
	if err := s.place(f.Name(), dst); err != nil {
		return n, fmt.Errorf("put %s: %w", d, err)
	}
	committed = true
	return n, nil
}

// link names f, a complete and fsynced unnamed file of blob d, dst, keeping a blob stored
// there already, and makes the name durable. It closes f, which frees it if not named.
func (s *Store) link(f *os.File, d digest.Digest, dst string) error {
	defer f.Close()
	if err := s.blobDir(dst); err != nil {
		return fmt.Errorf("put %s: %w", d, err)
	}
	if err := linkUnnamed(f, dst); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("put %s: %w", d, err)
	}
	// also when the name was there: a concurrent Put may not have synced it yet
	if err := fsutil.SyncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("put %s: %w", d, err)
	}
	return nil
}

// place renames src, a complete and fsynced file, to dst, creating dst's folders, and makes
// the new name durable.
func (s *Store) place(src, dst string) error {
	if err := s.blobDir(dst); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	return fsutil.SyncDir(filepath.Dir(dst))
}

// blobDir creates <alg>/ and <alg>/<xx>/ above blob path p if needed, fsyncing the parent of
// each folder it creates.
func (s *Store) blobDir(p string) error {
	fan := filepath.Dir(p)
	alg := filepath.Dir(fan)
	for _, dir := range []string{alg, fan} {
		err := os.Mkdir(dir, 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := fsutil.SyncDir(filepath.Dir(dir)); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes blob d; missing is not an error. The removal is not fsynced: a blob that
// comes back after a crash is garbage the next collection removes again.
func (s *Store) Delete(ctx context.Context, d digest.Digest) error {
	p, err := s.Path(d)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", d, err)
	}
	return nil
}

// Walk calls fn for every blob under <alg>/<xx>/, skipping .uploads, .ingest and any name
// that is not a digest in its right fan-out folder. An error from fn stops the walk and is
// returned.
func (s *Store) Walk(ctx context.Context, fn func(blobstore.Info) error) error {
	for _, alg := range algorithms {
		algDir := filepath.Join(s.root, alg.String())
		err := eachEntry(ctx, algDir, func(fan fs.DirEntry) error {
			if !fan.IsDir() || len(fan.Name()) != 2 {
				return nil
			}
			return eachEntry(ctx, filepath.Join(algDir, fan.Name()), func(e fs.DirEntry) error {
				d := digest.NewDigestFromEncoded(alg, e.Name())
				if !e.Type().IsRegular() || d.Validate() != nil || e.Name()[:2] != fan.Name() {
					return nil
				}
				fi, err := e.Info()
				if err != nil {
					return nil // removed since the folder was read
				}
				return fn(blobstore.Info{Digest: d, Size: fi.Size(), ModTime: fi.ModTime()})
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// eachEntry calls fn for the entries of dir, read in batches so a large folder is never
// held whole. A missing dir has no entries.
func eachEntry(ctx context.Context, dir string, fn func(fs.DirEntry) error) error {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		entries, err := f.ReadDir(256)
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// newFile opens the file a Put writes: unnamed where the file system has them, else a temp
// file (named reports which).
func (s *Store) newFile() (f *os.File, named bool, err error) {
	if s.unnamed {
		if f, err := openUnnamed(filepath.Join(s.root, ingestDir)); err == nil {
			return f, false, nil
		}
	}
	f, err = s.tempFile()
	return f, true, err
}

// tempFile creates a new, uniquely named file in .ingest.
func (s *Store) tempFile() (*os.File, error) {
	name := filepath.Join(s.root, ingestDir, tempName())
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
}

// tempName is a new random name for a file in .ingest, which SweepTemp knows.
func tempName() string {
	var b [12]byte
	rand.Read(b[:])
	return tempPrefix + hex.EncodeToString(b[:])
}

// notFound wraps blobstore.ErrNotFound for a missing file, and returns other errors as they are.
func notFound(d digest.Digest, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", d, blobstore.ErrNotFound)
	}
	return err
}
