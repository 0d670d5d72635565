package files

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RangesWriterTo is an optional capability of the reader given to Writer.Write, found by
// type assertion as io.WriterTo is: a blob body that can write itself into the temporary
// file as several ranges at once (remote.Ranged's bodies do, with parallel HTTP Range
// requests). Writer still checks size and digest before anything gets a final name.
type RangesWriterTo interface {
	io.Reader
	// WriteRangesTo writes the blob's bytes that missing lists (half-open spans [start, end)
	// in order: all of [0, size) for a new download, the gaps of a resumed one) into dst at
	// their offsets and calls done(off, n) after each write of bytes [off, off+n); calls may
	// come from several goroutines, and no byte is written twice. It returns false, having
	// written nothing, when the source turns out to serve only whole blobs: the body is then
	// read as one stream.
	WriteRangesTo(ctx context.Context, dst io.WriterAt, missing [][2]int64, done func(off, n int64)) (ranged bool, err error)
}

// hashBufSize is the read-back buffer of the in-order hash.
const hashBufSize = 256 << 10

// receiveRanges lets src write desc's bytes into f in parallel ranges while this goroutine
// hashes them in order, reading back from f (the page cache) as the written prefix grows:
// no blob is held in memory, and the hash is done moments after the last byte lands.
// have lists spans already in f (from an earlier run); only the rest is asked of src, and
// the hash reads them back from f like the rest, so what is verified is what is on disk.
// mark, if not nil, is told of each write as it lands. It returns false when src fell
// back to a stream (nothing was written).
func receiveRanges(ctx context.Context, f *os.File, src RangesWriterTo, desc ocispec.Descriptor, have [][2]int64, mark func(off, n int64)) (bool, error) {
	if err := desc.Digest.Validate(); err != nil {
		return true, fmt.Errorf("%s: %w", desc.Digest, err)
	}
	p := newPrefix()
	for _, h := range have {
		p.add(h[0], h[1]-h[0])
	}
	done := p.add
	if mark != nil {
		done = func(off, n int64) { p.add(off, n); mark(off, n) }
	}
	type result struct {
		ranged bool
		err    error
	}
	finished := make(chan result, 1)
	if missing := gaps(have, desc.Size); len(missing) == 0 {
		finished <- result{true, nil}
	} else {
		go func() {
			ranged, err := src.WriteRangesTo(ctx, f, missing, done)
			finished <- result{ranged, err}
		}()
	}

	v := desc.Digest.Verifier()
	buf := make([]byte, hashBufSize)
	var hashed int64
	var res *result
	for hashed < desc.Size {
		front := p.get()
		if front > hashed {
			n, err := f.ReadAt(buf[:min(int64(len(buf)), front-hashed)], hashed)
			if n > 0 {
				v.Write(buf[:n])
				hashed += int64(n)
			}
			if err != nil && n == 0 {
				// Not worth cancelling the writer (and with it a fallback stream that
				// shares ctx): let it end, then fail.
				<-finished
				return true, fmt.Errorf("reading back %s: %w", desc.Digest, err)
			}
			continue
		}
		if res != nil {
			break // the writer is done and nothing more will come
		}
		select {
		case <-p.wake:
		case r := <-finished:
			res = &r
			if !r.ranged || r.err != nil {
				return r.ranged, r.err
			}
		}
	}
	if res == nil {
		r := <-finished
		if !r.ranged || r.err != nil {
			return r.ranged, r.err
		}
	}
	if hashed != desc.Size {
		return true, fmt.Errorf("got %d bytes, descriptor says %d: %w", hashed, desc.Size, ErrDigestMismatch)
	}
	if !v.Verified() {
		return true, fmt.Errorf("content does not match %s: %w", desc.Digest, ErrDigestMismatch)
	}
	return true, nil
}

// prefix tracks which bytes of a file are written, as the length of the written prefix
// plus the written runs beyond it (merged as they touch), and wakes the hasher when the
// prefix grows.
type prefix struct {
	mu     sync.Mutex
	front  int64
	starts map[int64]int64 // run start → end, for runs beyond front
	ends   map[int64]int64 // run end → start
	wake   chan struct{}
}

func newPrefix() *prefix {
	return &prefix{starts: map[int64]int64{}, ends: map[int64]int64{}, wake: make(chan struct{}, 1)}
}

func (p *prefix) get() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.front
}

// add records that bytes [off, off+n) are written.
func (p *prefix) add(off, n int64) {
	if n <= 0 {
		return
	}
	p.mu.Lock()
	start, end := off, off+n
	if s, ok := p.ends[start]; ok { // extends the run that ends where this one starts
		delete(p.ends, start)
		delete(p.starts, s)
		start = s
	}
	if e, ok := p.starts[end]; ok { // touches the run that starts where this one ends
		delete(p.starts, end)
		delete(p.ends, e)
		end = e
	}
	grew := false
	if start <= p.front && end > p.front {
		p.front, grew = end, true
	} else if start > p.front {
		p.starts[start], p.ends[end] = end, start
	}
	p.mu.Unlock()
	if grew {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// gaps returns the spans of [0, size) that have (sorted, not overlapping) does not cover.
func gaps(have [][2]int64, size int64) [][2]int64 {
	var out [][2]int64
	at := int64(0)
	for _, h := range have {
		if h[0] > at {
			out = append(out, [2]int64{at, min(h[0], size)})
		}
		at = max(at, h[1])
	}
	if at < size {
		out = append(out, [2]int64{at, size})
	}
	return out
}
