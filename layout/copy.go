package layout

import (
	"context"
	"hash"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// copyChunk is the read size of blob writes; pipeDepth is how many such buffers one write
// keeps in flight between its reader, its writer and its hasher; writebackEvery is how often
// the kernel is asked to start writing the file out, so the final fsync has little left to do.
const (
	copyChunk      = 1 << 20
	pipeDepth      = 8
	writebackEvery = 8 << 20
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyChunk); return &b }}

// WriteHashed appends src to f (at its current offset, which is off bytes into the file),
// feeding h (if not nil) with exactly the bytes written, in one pass. It returns the bytes
// written and the first error; on an error, h's state is undefined (it may have seen bytes
// that were not written).
//
// Reading, writing and hashing run as three stages over up to pipeDepth buffers: each
// buffer read goes to the writer and to the hasher at once and is reused when both are done.
// A stall in one stage (the disk throttling writes, the hash losing its core, the client
// pausing) does not stop the other two until the buffers run out, so a large write costs
// about the slowest of the three, not their sum. Writeback of written data starts early
// (Linux: sync_file_range) so a later fsync is short. A source that fits in one buffer is
// written and hashed in place, with no goroutine.
func WriteHashed(ctx context.Context, f *os.File, off int64, h hash.Hash, src io.Reader) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	first := bufPool.Get().(*[]byte)
	m, rerr := io.ReadFull(src, *first)
	if rerr != nil {
		defer bufPool.Put(first)
		w, werr := f.Write((*first)[:m])
		if werr != nil {
			return int64(w), werr
		}
		if h != nil {
			h.Write((*first)[:m])
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			rerr = nil
		}
		return int64(w), rerr
	}
	p := newPipeline(f, off, h)
	p.send(first, m)
	for {
		if err := ctx.Err(); err != nil {
			return p.finish(err)
		}
		if p.failed() {
			return p.finish(nil)
		}
		b := p.buffer()
		m, rerr := io.ReadFull(src, *b)
		if m > 0 {
			p.send(b, m)
		} else {
			p.free <- b
		}
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return p.finish(nil)
		default:
			return p.finish(rerr)
		}
	}
}

// pipeline is the writer and hasher stages of WriteHashed and the buffers they share.
type pipeline struct {
	f         *os.File
	off       int64
	free      chan *[]byte // buffers both stages are done with
	allocated int          // buffers taken from bufPool
	toWrite   chan piece
	toHash    chan piece
	stages    sync.WaitGroup
	written   int64 // bytes written; read after stages.Wait
	werr      error // the writer's error; read after stages.Wait
	stopped   atomic.Bool
}

// piece is m bytes of buffer b, released to free by the last of its users.
type piece struct {
	b     *[]byte
	m     int
	users *atomic.Int32
}

func newPipeline(f *os.File, off int64, h hash.Hash) *pipeline {
	p := &pipeline{
		f:       f,
		off:     off,
		free:    make(chan *[]byte, pipeDepth),
		toWrite: make(chan piece, pipeDepth),
	}
	p.allocated = 1 // the first buffer, read before the pipeline started
	p.stages.Add(1)
	go p.write()
	if h != nil {
		p.toHash = make(chan piece, pipeDepth)
		p.stages.Add(1)
		go p.hash(h)
	}
	return p
}

// buffer is a free buffer: one released by both stages, or a new one while fewer than
// pipeDepth are in use, else the next one released.
func (p *pipeline) buffer() *[]byte {
	select {
	case b := <-p.free:
		return b
	default:
	}
	if p.allocated < pipeDepth {
		p.allocated++
		return bufPool.Get().(*[]byte)
	}
	return <-p.free
}

// send hands the first m bytes of b to the writer and the hasher.
func (p *pipeline) send(b *[]byte, m int) {
	users := new(atomic.Int32)
	pc := piece{b: b, m: m, users: users}
	if p.toHash == nil {
		users.Store(1)
		p.toWrite <- pc
		return
	}
	users.Store(2)
	p.toWrite <- pc
	p.toHash <- pc
}

func (p *pipeline) release(pc piece) {
	if pc.users.Add(-1) == 0 {
		p.free <- pc.b
	}
}

// failed reports whether the writer has stopped on an error.
func (p *pipeline) failed() bool { return p.stopped.Load() }

// write is the writer stage: it writes each piece in order and starts writeback every
// writebackEvery bytes; after an error it only releases what it gets.
func (p *pipeline) write() {
	defer p.stages.Done()
	flushed := p.off
	for pc := range p.toWrite {
		if p.werr == nil {
			w, err := p.f.Write((*pc.b)[:pc.m])
			p.written += int64(w)
			if err != nil {
				p.werr = err
				p.stopped.Store(true)
			} else if end := p.off + p.written; end-flushed >= writebackEvery {
				startWriteback(p.f, flushed, end-flushed)
				flushed = end
			}
		}
		p.release(pc)
	}
}

// hash is the hasher stage.
func (p *pipeline) hash(h hash.Hash) {
	defer p.stages.Done()
	for pc := range p.toHash {
		h.Write((*pc.b)[:pc.m])
		p.release(pc)
	}
}

// finish ends both stages, returns every buffer to bufPool, and returns the bytes written
// with the first error: the writer's, else readErr.
func (p *pipeline) finish(readErr error) (int64, error) {
	close(p.toWrite)
	if p.toHash != nil {
		close(p.toHash)
	}
	p.stages.Wait()
	for range p.allocated {
		bufPool.Put(<-p.free)
	}
	if p.werr != nil {
		return p.written, p.werr
	}
	return p.written, readErr
}
