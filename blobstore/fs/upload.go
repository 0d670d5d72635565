package fsstore

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/internal/fsutil"
	"github.com/eopack/eopack/layout"
	"github.com/opencontainers/go-digest"
)

// Errors of upload sessions besides the blobstore sentinels.
var (
	// ErrInvalidID: a session id that is not 32 lowercase hex digits. A method that needs the
	// session's bytes also wraps blobstore.ErrUploadGone, since this store cannot hold them.
	ErrInvalidID = errors.New("invalid upload id")
	// ErrBusy: another Append or Commit of the session is running.
	ErrBusy = errors.New("upload session is being written")
)

// idLen is the length of a session id: 16 random bytes in hex.
const idLen = 32

// sessionPath is .uploads/<id>, or an error wrapping ErrInvalidID, so no id can name a path
// outside .uploads.
func (s *Store) sessionPath(id string) (string, error) {
	if !validID(id) {
		return "", fmt.Errorf("upload %q: %w", id, ErrInvalidID)
	}
	return filepath.Join(s.root, uploadsDir, id), nil
}

func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// gone wraps blobstore.ErrUploadGone for session id.
func gone(id, why string) error {
	return fmt.Errorf("upload %s: %s: %w", id, why, blobstore.ErrUploadGone)
}

// StartUpload checks session id's name; the state is nil. The session's file is created by
// its first Append (at offset 0), so a session whose whole blob comes in its final request
// (POST, then PUT: how ORAS and most clients upload) never has one: no file to create, make
// durable and remove again. A session whose file exists already is an error wrapping
// fs.ErrExist.
func (s *Store) StartUpload(ctx context.Context, id string) ([]byte, error) {
	p, err := s.sessionPath(id)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(p); err == nil {
		return nil, fmt.Errorf("start upload %s: %w", id, fs.ErrExist)
	}
	return nil, nil
}

// Append writes r at offset of session id, first cutting off anything beyond offset, and
// fsyncs, so acknowledged bytes survive a crash. At offset 0 it creates the session's file
// if there is none (and makes its name durable). A session file missing or shorter than a
// later offset lost acknowledged data: that wraps blobstore.ErrUploadGone. On an error the
// file is cut back to offset; hash has then seen bytes the session no longer holds.
func (s *Store) Append(ctx context.Context, id string, state []byte, offset int64, r io.Reader, hash io.Writer) (int64, []byte, error) {
	return s.appendAt(ctx, id, state, offset, r, hash, true)
}

// AppendUnsynced is Append without the fsync (blobstore.Streamer): the bytes are durable
// only after a SyncUpload that covers them.
func (s *Store) AppendUnsynced(ctx context.Context, id string, state []byte, offset int64, r io.Reader, hash io.Writer) (int64, []byte, error) {
	return s.appendAt(ctx, id, state, offset, r, hash, false)
}

// SyncUpload makes the first size bytes of session id durable (blobstore.Streamer). It may
// run while an AppendUnsynced writes further on.
func (s *Store) SyncUpload(ctx context.Context, id string, state []byte, size int64) error {
	p, err := s.sessionPath(id)
	if err != nil {
		return fmt.Errorf("%w: %w", err, blobstore.ErrUploadGone)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return gone(id, "no session file")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return err
	} else if fi.Size() < size {
		return gone(id, fmt.Sprintf("holds %d bytes, %d to sync", fi.Size(), size))
	}
	return f.Sync()
}

func (s *Store) appendAt(ctx context.Context, id string, state []byte, offset int64, r io.Reader, hash io.Writer, sync bool) (int64, []byte, error) {
	if offset < 0 {
		return 0, state, fmt.Errorf("upload %s: negative offset %d", id, offset)
	}
	f, err := s.lockSession(id, offset == 0)
	if err != nil {
		return 0, state, err
	}
	defer f.Close()
	if err := cutTo(f, id, offset); err != nil {
		return 0, state, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, state, err
	}
	n, err := layout.WriteHashed(ctx, f, offset, asHash(hash), r)
	if err == nil && sync {
		err = f.Sync()
	}
	if err != nil {
		f.Truncate(offset) // best effort: the next Append cuts back to its offset anyway
		return 0, state, fmt.Errorf("upload %s: append at %d: %w", id, offset, err)
	}
	return n, nil, nil
}

// ReadUpload reads the first size bytes of session id.
func (s *Store) ReadUpload(ctx context.Context, id string, state []byte, size int64) (io.ReadCloser, error) {
	p, err := s.sessionPath(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, blobstore.ErrUploadGone)
	}
	if size < 0 {
		return nil, fmt.Errorf("upload %s: negative size %d", id, size)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, gone(id, "no session file")
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.Size() < size {
		f.Close()
		return nil, gone(id, fmt.Sprintf("holds %d of %d bytes", fi.Size(), size))
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, size), f}, nil
}

// Commit renames session id's file, cut to size and fsynced, to blob d's path. Nothing is
// copied and no link is made. A missing session whose blob d exists is a retried completion
// and succeeds; one of size 0 was never written and stores the empty blob d.
func (s *Store) Commit(ctx context.Context, id string, state []byte, d digest.Digest, size int64) error {
	if _, err := s.sessionPath(id); err != nil {
		return fmt.Errorf("%w: %w", err, blobstore.ErrUploadGone)
	}
	dst, err := s.Path(d)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("upload %s: negative size %d", id, size)
	}
	f, err := s.lockSession(id, false)
	if errors.Is(err, blobstore.ErrUploadGone) {
		if _, serr := os.Stat(dst); serr == nil {
			return nil
		}
		if size == 0 {
			// never written (its file comes with the first Append): the blob is empty
			_, err := s.Put(ctx, d, 0, strings.NewReader(""))
			return err
		}
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < size {
		return gone(id, fmt.Sprintf("holds %d of %d bytes", fi.Size(), size))
	}
	if fi.Size() > size {
		if err := f.Truncate(size); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	// The lock is held across the rename: an Append waiting for it then finds the path
	// no longer names its file and refuses.
	if err := s.place(f.Name(), dst); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return gone(id, "removed while committing")
		}
		return fmt.Errorf("upload %s: commit %s: %w", id, d, err)
	}
	return nil
}

// Abort removes session id's file; missing is not an error.
func (s *Store) Abort(ctx context.Context, id string, state []byte) error {
	p, err := s.sessionPath(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort upload %s: %w", id, err)
	}
	return nil
}

// WalkUploads calls fn for every session file in .uploads; other names are skipped.
func (s *Store) WalkUploads(ctx context.Context, fn func(blobstore.UploadInfo) error) error {
	return eachEntry(ctx, filepath.Join(s.root, uploadsDir), func(e fs.DirEntry) error {
		if !e.Type().IsRegular() || !validID(e.Name()) {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			return nil // committed or aborted since the folder was read
		}
		return fn(blobstore.UploadInfo{ID: e.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
	})
}

// lockSession opens session id's file for writing (with create, making it first if there
// is none, and its name durable) and takes its flock without waiting (a running Append or
// Commit: ErrBusy). It then checks that the path still names the file it opened: a Commit
// or Abort in between wraps blobstore.ErrUploadGone.
func (s *Store) lockSession(id string, create bool) (*os.File, error) {
	p, err := s.sessionPath(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, blobstore.ErrUploadGone)
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if create && errors.Is(err, fs.ErrNotExist) {
		f, err = s.createSession(p)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, gone(id, "no session file")
	}
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("upload %s: %w", id, ErrBusy)
		}
		return nil, fmt.Errorf("upload %s: lock: %w", id, err)
	}
	opened, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if now, err := os.Stat(p); err != nil || !os.SameFile(opened, now) {
		f.Close()
		return nil, gone(id, "committed or aborted meanwhile")
	}
	return f, nil
}

// createSession creates the session file at p and makes its name durable; a file another
// Append created meanwhile is opened instead.
func (s *Store) createSession(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return os.OpenFile(p, os.O_RDWR, 0)
	}
	if err != nil {
		return nil, err
	}
	if err := fsutil.SyncDir(filepath.Dir(p)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// cutTo makes f, session id's file, exactly offset bytes long: a longer file holds bytes of
// a write that was never acknowledged; a shorter one lost acknowledged bytes.
func cutTo(f *os.File, id string, offset int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	switch {
	case fi.Size() < offset:
		return gone(id, fmt.Sprintf("holds %d bytes, %d acknowledged", fi.Size(), offset))
	case fi.Size() > offset:
		return f.Truncate(offset)
	}
	return nil
}

// asHash passes w to layout.WriteHashed, which wants a hash.Hash but only writes to it.
func asHash(w io.Writer) hash.Hash {
	switch h := w.(type) {
	case nil:
		return nil
	case hash.Hash:
		return h
	}
	return writerHash{w}
}

// writerHash is an io.Writer dressed as a hash.Hash; only Write is ever called.
type writerHash struct{ io.Writer }

func (writerHash) Sum(b []byte) []byte { return b }
func (writerHash) Reset()              {}
func (writerHash) Size() int           { return 0 }
func (writerHash) BlockSize() int      { return 1 }
