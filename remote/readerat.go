package remote

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	orasremote "oras.land/oras-go/v2/registry/remote"
)

// BlobReaderAt reads a registry's blob at any offset, so that a chunked upload of it to
// another registry can send a chunk again after a broken connection: reads in order
// continue one GET; a read elsewhere starts a new one with Range. The bytes are checked by
// the destination, which stores the blob only under its digest.
type BlobReaderAt struct {
	ctx  context.Context
	r    *Ranged
	desc ocispec.Descriptor

	mu   sync.Mutex
	body io.ReadCloser
	pos  int64 // offset of body's next byte
}

// NewBlobReaderAt reads desc from repo; first, when not nil, is an open stream of the blob
// from its first byte (a Fetch already made), used before any new request.
func NewBlobReaderAt(ctx context.Context, repo *orasremote.Repository, desc ocispec.Descriptor, first io.ReadCloser) *BlobReaderAt {
	return &BlobReaderAt{ctx: ctx, r: &Ranged{Repo: repo}, desc: desc, body: first}
}

// ReadAt implements io.ReaderAt.
func (b *BlobReaderAt) ReadAt(p []byte, off int64) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if off >= b.desc.Size {
		return 0, io.EOF
	}
	want := p
	if rest := b.desc.Size - off; int64(len(want)) > rest {
		want = want[:rest]
	}
	if b.body == nil || b.pos != off {
		if err := b.open(off); err != nil {
			return 0, err
		}
	}
	n, err := io.ReadFull(b.body, want)
	b.pos += int64(n)
	if err != nil {
		b.body.Close()
		b.body = nil
		return n, fmt.Errorf("%s at %d: %w", b.desc.Digest, off+int64(n), err)
	}
	if len(want) < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (b *BlobReaderAt) open(off int64) error {
	if b.body != nil {
		b.body.Close()
		b.body = nil
	}
	resp, err := b.r.get(b.ctx, b.desc, off, b.desc.Size-1)
	if err != nil {
		return err
	}
	if off == 0 && resp.StatusCode == http.StatusOK && resp.ContentLength == b.desc.Size {
		b.body, b.pos = resp.Body, 0
		return nil
	}
	if err := checkPartial(resp, off, b.desc.Size-1, b.desc.Size); err != nil {
		resp.Body.Close()
		return fmt.Errorf("%s: %w: %v", b.desc.Digest, ErrBadRange, err)
	}
	b.body, b.pos = resp.Body, off
	return nil
}

// Close ends the stream in progress.
func (b *BlobReaderAt) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.body != nil {
		b.body.Close()
		b.body = nil
	}
	return nil
}
