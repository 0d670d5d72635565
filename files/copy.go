package files

import (
	"io"
	"sync"
)

const (
	copyBufSize = 1 << 20 // 1 MiB reads: fewer syscalls than io.Copy's 32 KiB
	copyBufs    = 4       // at most 4 MiB in flight
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// teeCopy copies src to dst and, on a second goroutine, to sum (a hash), so hashing and
// writing overlap on two cores. It returns the bytes copied. Memory stays bounded: at most
// copyBufs buffers are in flight.
func teeCopy(dst io.Writer, sum io.Writer, src io.Reader) (int64, error) {
	type chunk struct {
		buf *[]byte
		n   int
	}
	work := make(chan chunk, copyBufs)
	free := make(chan *[]byte, copyBufs)
	for range copyBufs {
		free <- bufPool.Get().(*[]byte)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range work {
			sum.Write((*c.buf)[:c.n]) // hash.Hash.Write never fails
			free <- c.buf
		}
	}()
	var total int64
	var err error
	for {
		buf := <-free
		n, rerr := io.ReadFull(src, *buf)
		if n > 0 {
			if _, werr := dst.Write((*buf)[:n]); werr != nil {
				err = werr
				free <- buf
				break
			}
			total += int64(n)
			work <- chunk{buf, n}
		} else {
			free <- buf
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	close(work)
	<-done
	for range copyBufs {
		bufPool.Put(<-free)
	}
	return total, err
}
