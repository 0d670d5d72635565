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
// many. Writeback of written data starts early (Linux: sync_file_range) so a later fsync is
// short.
func WriteHashed(ctx context.Context, f *os.File, off int64, h hash.Hash, src io.Reader) (n int64, err error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	flushed := off
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := io.ReadFull(src, buf)
		if m > 0 {
			w, werr := f.Write(buf[:m])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
			if h != nil {
				h.Write(buf[:m])
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
