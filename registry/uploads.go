package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/layout"
)

// uploads tracks blob upload sessions. Each session is one file in dir, hashed while it is
// written so completion needs no second read (unless the session was resumed after a restart,
// or the final digest uses another algorithm than the one chosen at the first byte: sha256
// unless the first write already named the digest).
type uploads struct {
	dir string
	mu  sync.Mutex
	m   map[string]*upload
}

type upload struct {
	mu   sync.Mutex // held for the whole of a request on the session
	id   string
	repo string
	path string
	size int64
	h    hash.Hash // nil: state unknown, re-hash the file on completion
	alg  digest.Algorithm
	gone bool // completed or cancelled
}

func newUploads(dir string) (*uploads, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &uploads{dir: dir, m: map[string]*upload{}}, nil
}

// start creates an empty session for repo.
func (us *uploads) start(repo string) (*upload, error) {
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	path := filepath.Join(us.dir, id)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	f.Close()
	up := &upload{id: id, repo: repo, path: path}
	us.mu.Lock()
	us.m[id] = up
	us.mu.Unlock()
	return up, nil
}

func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// acquire finds session id of repo and locks it; release with up.mu.Unlock. A session file
// left by an earlier run of the server is picked up again (its hash state is re-built at
// completion).
func (us *uploads) acquire(id, repo string) (*upload, error) {
	if !validUploadID(id) {
		return nil, errf(ErrUploadUnknown, "upload %q", id)
	}
	us.mu.Lock()
	up, ok := us.m[id]
	if !ok {
		path := filepath.Join(us.dir, id)
		fi, err := os.Stat(path)
		if err != nil {
			us.mu.Unlock()
			return nil, errf(ErrUploadUnknown, "upload %s", id)
		}
		up = &upload{id: id, repo: repo, path: path, size: fi.Size()}
		us.m[id] = up
	}
	us.mu.Unlock()
	up.mu.Lock()
	if up.gone || up.repo != repo {
		up.mu.Unlock()
		return nil, errf(ErrUploadUnknown, "upload %s", id)
	}
	return up, nil
}

// drop forgets a session and removes its file. up.mu is held.
func (us *uploads) drop(up *upload) {
	up.gone = true
	os.Remove(up.path)
	us.mu.Lock()
	delete(us.m, up.id)
	us.mu.Unlock()
}

// write appends r to the session, hashing while writing. alg names the digest algorithm to
// hash with if this is the first data (empty: sha256). up.mu is held.
func (up *upload) write(ctx context.Context, r io.Reader, alg digest.Algorithm) (int64, error) {
	f, err := os.OpenFile(up.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if up.size == 0 {
		if alg == "" || !alg.Available() {
			alg = digest.SHA256
		}
		up.alg, up.h = alg, alg.Hash()
	}
	n, err := layout.WriteHashed(ctx, f, up.size, up.h, r)
	up.size += n
	if err != nil {
		// The file may hold part of a buffer the hash did not see: trust only the file.
		if fi, serr := f.Stat(); serr == nil {
			up.size = fi.Size()
		}
		up.h = nil
		return n, err
	}
	return n, nil
}

// verify checks the session's content against d and fsyncs it, leaving a file ready to be
// adopted by a store. On a mismatch the session's bytes are discarded. up.mu is held.
func (us *uploads) verify(up *upload, d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return errf(ErrDigestInvalid, "%q: %v", d, err)
	}
	var got digest.Digest
	if up.h != nil && up.alg == d.Algorithm() {
		got = digest.NewDigestFromEncoded(up.alg, hex.EncodeToString(up.h.Sum(nil)))
	} else {
		f, err := os.Open(up.path)
		if err != nil {
			return err
		}
		got, err = d.Algorithm().FromReader(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	if got != d {
		us.drop(up)
		return errf(ErrDigestInvalid, "upload content is %s, not %s", got, d)
	}
	f, err := os.OpenFile(up.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// sweep removes sessions whose file was not written for ttl, unless a request holds them.
func (us *uploads) sweep(ttl time.Duration) {
	entries, err := os.ReadDir(us.dir)
	if err != nil {
		return
	}
	now := time.Now()
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) <= ttl {
			continue
		}
		us.mu.Lock()
		up, ok := us.m[e.Name()]
		us.mu.Unlock()
		if !ok {
			os.Remove(filepath.Join(us.dir, e.Name()))
			continue
		}
		if up.mu.TryLock() {
			us.drop(up)
			up.mu.Unlock()
		}
	}
}

// rangeHeader is the spec's Range value for a session holding size bytes.
func rangeHeader(size int64) string {
	if size == 0 {
		return "0-0"
	}
	return fmt.Sprintf("0-%d", size-1)
}
