package blobstore

import (
	"fmt"
	"hash"
	"io"

	"github.com/opencontainers/go-digest"
)

// Bounded is r, the body of a blob of size bytes, limited to one byte more when size is
// known (not negative), so that a body that is too long shows as one byte too many.
func Bounded(r io.Reader, size int64) io.Reader {
	if size < 0 {
		return r
	}
	return io.LimitReader(r, size+1)
}

// Check reports whether the n bytes h has hashed are blob d, of size bytes when size is
// known: nil, or an error of a Put of d wrapping ErrSizeMismatch or ErrDigestMismatch.
func Check(d digest.Digest, size, n int64, h hash.Hash) error {
	if size >= 0 && n != size {
		return fmt.Errorf("put %s: %d bytes, expected %d: %w", d, n, size, ErrSizeMismatch)
	}
	if got := digest.NewDigest(d.Algorithm(), h); got != d {
		return fmt.Errorf("put %s: content is %s: %w", d, got, ErrDigestMismatch)
	}
	return nil
}
