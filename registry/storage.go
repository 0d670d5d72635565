package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/metadata"
)

// Storage is what the handler serves from: the metadata store (what exists and who may read
// it) and the blob store (the bytes). The handler never touches SQL or files directly.
// Nothing else is kept in the process, so several servers can share one Storage's stores.
type Storage struct {
	Meta  metadata.Store
	Blobs blobstore.Store
}

// NewStorage serves meta and blobs.
func NewStorage(meta metadata.Store, blobs blobstore.Store) *Storage {
	return &Storage{Meta: meta, Blobs: blobs}
}

// Close closes the metadata store, then the blob store if it has a Close.
func (s *Storage) Close() error {
	err := s.Meta.Close()
	if c, ok := s.Blobs.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}

// sessionLockWait is how long a request waits for another request's hold on an upload
// session to end before refusing. A client never writes one session from two requests at
// once, but it may retry on another server while the first one is still ending the
// request it gave up on (or while the database notices that a killed server is gone).
const sessionLockWait = 2 * time.Second

// lockSession takes upload session id's lock, which every server sharing the metadata
// honours; ok is false if another request still holds it after sessionLockWait (wait 0:
// no waiting).
func (s *Storage) lockSession(ctx context.Context, id string, wait time.Duration) (unlock func(), ok bool, err error) {
	deadline := time.Now().Add(wait)
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		unlock, ok, err := s.Meta.TryLock(ctx, "upload:"+id)
		if err != nil || ok || time.Now().Add(pause).After(deadline) {
			return unlock, ok, err
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// newUploadID is 16 random bytes in hex.
func newUploadID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// ensureDir creates dir (and parents) for a storage root.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("storage %s: %w", dir, err)
	}
	return nil
}

// paths of the default embedded storage under --root.
func dbPath(root string) string    { return filepath.Join(root, "eopack.db") }
func blobsPath(root string) string { return filepath.Join(root, "_blobs") }
