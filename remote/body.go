package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// chunkAttempts is how often one range is tried when its body breaks off; each new try
// asks only for the bytes still missing. (Failed requests themselves are retried by the
// client's retry transport.)
const chunkAttempts = 3

// copyBufSize is the buffer of one range copy.
const copyBufSize = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// body is what Ranged.Fetch returns for a large blob. Nothing is requested until it is
// either read (one plain stream, from the repository's Fetch) or asked to WriteRangesTo.
type body struct {
	r      *Ranged
	ctx    context.Context
	desc   ocispec.Descriptor
	stream io.ReadCloser
}

// Read reads the blob as one stream: the full answer a registry gave to the Range probe
// when it ignored Range, else the repository's ordinary Fetch.
func (b *body) Read(p []byte) (int, error) {
	if b.stream == nil {
		rc, err := b.r.Repo.Fetch(b.ctx, b.desc)
		if err != nil {
			return 0, err
		}
		b.stream = rc
	}
	return b.stream.Read(p)
}

// Close closes the stream, if one was opened.
func (b *body) Close() error {
	if b.stream == nil {
		return nil
	}
	return b.stream.Close()
}

// WriteRangesTo writes the bytes of the blob that missing lists (half-open spans [start,
// end), in order) into dst as parallel Range requests of ChunkSize bytes at most, handed
// out in order, and calls done(off, n) after each WriteAt (from several goroutines; no
// byte is written twice). A resumed download lists only the spans it still lacks. The
// first request is the probe: unless it comes back 206 with the Content-Range asked for,
// nothing is written and it returns false, and the body is then to be read as one stream
// (a 200 answer is kept as that stream, so no request is wasted). An error means the blob
// could not be fetched; dst then holds an arbitrary part of it, and done has named every
// byte written. When one range fails for good no further range is started, but those in
// flight run to their end, so that a resumed download does not ask for them again.
func (b *body) WriteRangesTo(ctx context.Context, dst io.WriterAt, missing [][2]int64, done func(off, n int64)) (bool, error) {
	if b.stream != nil {
		return false, nil
	}
	pieces := cut(missing, b.desc.Size, b.r.chunkFor(b.desc.Size))
	if len(pieces) == 0 {
		return true, nil
	}
	size := b.desc.Size
	if err := b.r.acquire(ctx); err != nil {
		return true, err
	}
	start0, end0 := pieces[0][0], pieces[0][1]-1
	resp, err := b.r.get(ctx, b.desc, start0, end0)
	if err != nil {
		b.r.release()
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		return false, nil // the plain stream will meet (and report) the same problem
	}
	if checkPartial(resp, start0, end0, size) != nil {
		b.r.release()
		if resp.StatusCode == http.StatusOK && (resp.ContentLength < 0 || resp.ContentLength == size) {
			b.stream = resp.Body // Range ignored: this is the whole blob, as one stream
		} else {
			resp.Body.Close() // anything else: the repository's Fetch says what is wrong
		}
		return false, nil
	}

	// A range that fails for good cancels starting, which only new ranges wait on; those in
	// flight run on ctx (so not errgroup.WithContext).
	starting, stopStarting := context.WithCancel(ctx)
	defer stopStarting()
	var g errgroup.Group
	fail := func(err error) error {
		if err != nil {
			stopStarting()
		}
		return err
	}
	g.Go(func() error {
		defer b.r.release()
		defer resp.Body.Close()
		n, err := copyAt(dst, resp.Body, start0, end0-start0+1, done)
		if err != nil {
			return fail(b.fetchChunk(ctx, dst, start0+n, end0, done, err))
		}
		return nil
	})
	var stop error
	for _, p := range pieces[1:] {
		if stop = b.r.acquire(starting); stop != nil {
			break
		}
		g.Go(func() error {
			defer b.r.release()
			return fail(b.fetchChunk(ctx, dst, p[0], p[1]-1, done, nil))
		})
	}
	if err := g.Wait(); err != nil {
		return true, err
	}
	return true, stop
}

// cut splits the spans of missing (clipped to [0, size)) into pieces of at most chunk
// bytes, in order.
func cut(missing [][2]int64, size, chunk int64) [][2]int64 {
	var out [][2]int64
	for _, m := range missing {
		for s, e := max(m[0], 0), min(m[1], size); s < e; s += chunk {
			out = append(out, [2]int64{s, min(s+chunk, e)})
		}
	}
	return out
}

// fetchChunk fetches bytes start..end (inclusive) into dst, resuming after a body that
// breaks off. prev is the error that ended an earlier attempt, if any.
func (b *body) fetchChunk(ctx context.Context, dst io.WriterAt, start, end int64, done func(off, n int64), prev error) error {
	off, last := start, prev
	if errors.As(prev, new(writeError)) {
		return prev
	}
	tries := chunkAttempts
	if prev != nil {
		tries--
	}
	for ; tries > 0 && off <= end; tries-- {
		if err := ctx.Err(); err != nil {
			return err
		}
		resp, err := b.r.get(ctx, b.desc, off, end)
		if err != nil {
			last = err
			continue
		}
		if err := checkPartial(resp, off, end, b.desc.Size); err != nil {
			resp.Body.Close()
			return fmt.Errorf("%s: %w: %v", b.desc.Digest, ErrBadRange, err)
		}
		n, err := copyAt(dst, resp.Body, off, end-off+1, done)
		resp.Body.Close()
		off += n
		if errors.As(err, new(writeError)) {
			return err
		}
		last = err
	}
	if off <= end {
		return fmt.Errorf("%s: bytes %d-%d: %w", b.desc.Digest, off, end, last)
	}
	return nil
}

// copyAt copies exactly want bytes of r into dst from offset off, calling done after each
// write, and returns the bytes written.
func copyAt(dst io.WriterAt, r io.Reader, off, want int64, done func(off, n int64)) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var total int64
	for total < want {
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), want-total)])
		if n > 0 {
			if _, werr := dst.WriteAt(buf[:n], off+total); werr != nil {
				return total, writeError{werr}
			}
			done(off+total, int64(n))
			total += int64(n)
		}
		if err != nil {
			if total < want && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
				err = fmt.Errorf("answer ended after %d of %d bytes: %w", total, want, io.ErrUnexpectedEOF)
			}
			if total < want {
				return total, err
			}
		}
	}
	return total, nil
}

// writeError is a failure to write to the destination: never worth another request.
type writeError struct{ error }

func (e writeError) Unwrap() error { return e.error }

// acquire takes a request slot; a ctx that has ended gets none, even with one free.
func (r *Ranged) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case r.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Ranged) release() { <-r.sem }
