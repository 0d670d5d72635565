package registry

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/metadata"
)

// Storage is what the handler serves from: the metadata store (what exists and who may read
// it) and the blob store (the bytes). The handler never touches SQL or files directly.
type Storage struct {
	Meta  metadata.Store
	Blobs blobstore.Store

	sessMu sync.Mutex
	sess   map[string]*sessionLock // in-process exclusion of requests writing one upload session
}

// NewStorage serves meta and blobs.
func NewStorage(meta metadata.Store, blobs blobstore.Store) *Storage {
	return &Storage{Meta: meta, Blobs: blobs, sess: map[string]*sessionLock{}}
}

// Close closes the metadata store.
func (s *Storage) Close() error { return s.Meta.Close() }

type sessionLock struct {
	mu    sync.Mutex
	users int
}

// lockSession takes upload session id's lock if no other request holds it; ok is false if
// one does (a client must not write two chunks of one session at once).
func (s *Storage) lockSession(id string) (unlock func(), ok bool) {
	s.sessMu.Lock()
	l := s.sess[id]
	if l == nil {
		l = &sessionLock{}
		s.sess[id] = l
	}
	l.users++
	s.sessMu.Unlock()
	release := func() {
		s.sessMu.Lock()
		if l.users--; l.users == 0 {
			delete(s.sess, id)
		}
		s.sessMu.Unlock()
	}
	if !l.mu.TryLock() {
		release()
		return nil, false
	}
	return func() { l.mu.Unlock(); release() }, true
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
