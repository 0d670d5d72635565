package layout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	// Register the hash functions go-digest looks up by algorithm.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/eopack/eopack/internal/fsutil"
)

// Pool is a content-addressed blob folder shared by many layouts: each layout's
// blobs/<alg>/<hex> is a hard link to the pool's file, so identical blobs are stored once.
// All paths must be on one file system.
//
//	POOL/
//	├── .ingest/          temp files being written (removed or renamed when done)
//	├── sha256/<hex>      verified blobs; link count 1 means no layout uses it any more
//	└── sha512/<hex>
type Pool struct{ root string }

// OpenPool creates (if needed) and opens the pool at root.
func OpenPool(root string) (*Pool, error) {
	if err := os.MkdirAll(filepath.Join(root, ingestDir), 0o755); err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	return &Pool{root: root}, nil
}

const ingestDir = ".ingest"

// Path is where the pool keeps blob d.
func (p *Pool) Path(d digest.Digest) string {
	return filepath.Join(p.root, d.Algorithm().String(), d.Encoded())
}

// Has reports whether the pool holds blob d.
func (p *Pool) Has(d digest.Digest) bool {
	if d.Validate() != nil {
		return false
	}
	_, err := os.Stat(p.Path(d))
	return err == nil
}

// TempFile creates a new empty file in the pool's ingest folder.
func (p *Pool) TempFile() (*os.File, error) { return tempFile(filepath.Join(p.root, ingestDir)) }

// Ingest writes r, verified against d, into the pool. It is not an error if the pool already
// has d (the data is then read and discarded only if it was already being written).
func (p *Pool) Ingest(ctx context.Context, d ocispec.Descriptor, r io.Reader) error {
	if p.Has(d.Digest) {
		return nil
	}
	tmp, err := writeVerified(ctx, filepath.Join(p.root, ingestDir), d, r)
	if err != nil {
		return err
	}
	return p.Adopt(d.Digest, tmp)
}

// Adopt moves tmp, a complete, verified and fsynced file of blob d on the pool's file system,
// to its final pool path. If the pool already has d, tmp is removed.
func (p *Pool) Adopt(d digest.Digest, tmp string) error {
	return adopt(tmp, p.Path(d))
}

// Sweep removes temp files and pool blobs no layout links to any more (link count 1) whose
// last change is older than maxAge (so a blob being adopted and linked right now is spared).
// It returns how many files it removed.
func (p *Pool) Sweep(maxAge time.Duration) (int, error) {
	n := 0
	now := time.Now()
	err := filepath.WalkDir(p.root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil
		}
		if filepath.Base(filepath.Dir(path)) == ingestDir {
			if now.Sub(info.ModTime()) > maxAge && os.Remove(path) == nil {
				n++
			}
			return nil
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if ok && st.Nlink == 1 && now.Sub(time.Unix(st.Ctim.Unix())) > maxAge && os.Remove(path) == nil {
			n++
		}
		return nil
	})
	return n, err
}

// tempFile creates a uniquely named file in dir (created if needed).
func tempFile(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var b [12]byte
	rand.Read(b[:])
	return os.OpenFile(filepath.Join(dir, "tmp-"+hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
}

// NewHash returns a hash for d's algorithm, or an error wrapping errdef.ErrInvalidDigest if d
// is malformed or its algorithm is not sha256/sha384/sha512.
func NewHash(d digest.Digest) (hash.Hash, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%q: %v: %w", d, err, errdef.ErrInvalidDigest)
	}
	return d.Algorithm().Hash(), nil
}

// writeVerified streams r into a new temp file in dir, hashing while writing, and checks size
// and digest against d. On success the file is fsynced and closed and its path returned; on
// any failure nothing is left behind.
func writeVerified(ctx context.Context, dir string, d ocispec.Descriptor, r io.Reader) (string, error) {
	h, err := NewHash(d.Digest)
	if err != nil {
		return "", err
	}
	if d.Size < 0 {
		return "", fmt.Errorf("%s: negative size: %w", d.Digest, content.ErrInvalidDescriptorSize)
	}
	f, err := tempFile(dir)
	if err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := WriteHashed(ctx, f, 0, h, io.LimitReader(r, d.Size+1))
	if err != nil {
		return "", fmt.Errorf("write %s: %w", d.Digest, err)
	}
	switch {
	case n > d.Size:
		return "", fmt.Errorf("%s: more than %d bytes: %w", d.Digest, d.Size, content.ErrTrailingData)
	case n < d.Size:
		return "", fmt.Errorf("%s: %d of %d bytes: %w", d.Digest, n, d.Size, io.ErrUnexpectedEOF)
	}
	if got := digest.NewDigestFromEncoded(d.Digest.Algorithm(), hex.EncodeToString(h.Sum(nil))); got != d.Digest {
		return "", fmt.Errorf("content is %s, expected %s: %w", got, d.Digest, content.ErrMismatchedDigest)
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	ok = true
	return f.Name(), nil
}

// adopt gives a complete temp file its final name dst (creating its folder) and fsyncs the
// folder. It links rather than renames, so an existing dst is never replaced: when two
// writers of one blob race, the first file stays and every hard link to it stays valid. The
// temp name is removed either way.
func adopt(tmp, dst string) error {
	defer os.Remove(tmp)
	return linkInto(tmp, dst)
}

// linkInto hard-links src to dst (creating its folder); an existing dst is success.
func linkInto(src, dst string) error {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Link(src, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", filepath.Base(src), errdef.ErrNotFound)
		}
		return err
	}
	return fsutil.SyncDir(dir)
}
