package transfer

import (
	"context"
	"errors"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/progress"
	"github.com/eopack/eopack/remote"
)

// SmallBlobSize is the size below which a blob counts as small: its cost is round trips,
// not bytes, so many of them go at once (Options.SmallConcurrency).
const SmallBlobSize = 8 << 20

// blobPusher sends the content blobs of a graph copy itself (from oras-go's PreCopy hook),
// so that small blobs go many at once and in one request each (remote.Uploader), while at
// most `large` big blobs are in flight. Manifests are left to oras-go.
type blobPusher struct {
	src   content.Fetcher
	dst   content.Pusher // the Uploader for a registry, else the destination itself
	large chan struct{}  // slots for blobs of at least SmallBlobSize; nil: no bound
	// progress says where to count a blob's bytes (Events.Progress); may be nil
	progress func(ocispec.Descriptor) func(int64)
}

// newBlobPusher returns a pusher for src → dst; large > 0 bounds the large blobs in flight.
func newBlobPusher(src content.Fetcher, dst content.Storage, large int, up remote.UploadOptions) *blobPusher {
	p := &blobPusher{src: src, dst: dst}
	if large > 0 {
		p.large = make(chan struct{}, large)
	}
	if r, ok := dst.(*orasremote.Repository); ok {
		p.dst = remote.NewUploader(r, up)
	}
	return p
}

// push copies blob d from src to dst, waiting for a large-blob slot when d is large.
func (p *blobPusher) push(ctx context.Context, d ocispec.Descriptor) error {
	if p.large != nil && d.Size >= SmallBlobSize {
		select {
		case p.large <- struct{}{}:
			defer func() { <-p.large }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	rc, err := p.src.Fetch(ctx, d)
	if err != nil {
		return &oras.CopyError{Op: "Fetch", Origin: oras.CopyErrorOriginSource, Err: err}
	}
	defer rc.Close()
	var r io.Reader = rc
	if up, ok := p.dst.(*remote.Uploader); ok && up.Chunked(d.Size) {
		if repo, ok := p.src.(*orasremote.Repository); ok {
			// a chunk sent again after a cut is read again from the source registry
			ra := remote.NewBlobReaderAt(ctx, repo, d, rc)
			defer ra.Close()
			r = struct {
				io.Reader
				io.ReaderAt
			}{io.NewSectionReader(ra, 0, d.Size), ra}
		}
	}
	if p.progress != nil {
		if add := p.progress(d); add != nil {
			r = progress.Reader(r, add) // keeps io.ReaderAt for the Uploader
		}
	}
	if err := p.dst.Push(ctx, d, r); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return &oras.CopyError{Op: "Push", Origin: oras.CopyErrorOriginDestination, Err: err}
	}
	return nil
}
