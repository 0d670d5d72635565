package layout

import (
	"context"
	"hash"
	"io"
	"os"
	"sync"
)

// copyChunk is the read size of blob writes; writebackEvery is how often the kernel is asked
// to start writing the file out, so the final fsync has little left to do.
const (
	copyChunk      = 1 << 20
	writebackEvery = 8 << 20
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyChunk); return &b }}

// WriteHashed appends src to f (at its current offset, which is off bytes into the file),
// feeding h (if not nil) with exactly the bytes written, in one pass. It returns the bytes
// written; on error, h has seen only whole buffers that were fully written, and n says how
// many. Hashing runs beside reading and writing (two buffers: one is hashed while the next
// is read and written), so a large write costs about the longer of hashing and writing, not
// their sum. Writeback of written data starts early (Linux: sync_file_range) so a later
// fsync is short.
func WriteHashed(ctx context.Context, f *os.File, off int64, h hash.Hash, src io.Reader) (n int64, err error) {
	var bufs [2][]byte
	for i := range bufs {
		bp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bp)
		bufs[i] = *bp
	}
	var hasher *hashWorker
	if h != nil {
		hasher = newHashWorker(h)
		defer hasher.stop()
	}
	flushed := off
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		buf := bufs[i%2] // the other buffer may still be hashed
		m, rerr := io.ReadFull(src, buf)
		if m > 0 {
			w, werr := f.Write(buf[:m])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
			if hasher != nil {
				hasher.add(buf[:m]) // waits for the previous buffer's hash first
			}
			if end := off + n; end-flushed >= writebackEvery {
				startWriteback(f, flushed, end-flushed)
				flushed = end
			}
		}
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return n, nil
		default:
			return n, rerr
		}
	}
}

// hashWorker hashes one buffer at a time in its own goroutine.
type hashWorker struct {
	in      chan []byte
	done    chan struct{}
	pending bool
}

func newHashWorker(h hash.Hash) *hashWorker {
	w := &hashWorker{in: make(chan []byte), done: make(chan struct{})}
	go func() {
		for b := range w.in {
			h.Write(b)
			w.done <- struct{}{}
		}
	}()
	return w
}

// add hands b to the hash once the previous buffer is hashed; b must not change until the
// next add or stop.
func (w *hashWorker) add(b []byte) {
	w.wait()
	w.in <- b
	w.pending = true
}

func (w *hashWorker) wait() {
	if w.pending {
		<-w.done
		w.pending = false
	}
}

// stop waits for the last buffer's hash and ends the goroutine: the hash has then seen every
// buffer handed to it.
func (w *hashWorker) stop() {
	w.wait()
	close(w.in)
}
