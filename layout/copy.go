package layout

import (
	"context"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// copyChunk is the read size of blob writes; pipeDepth is how many such buffers one write
// keeps in flight between its reader, its writer and its hasher; writebackEvery is how often
// the kernel is asked to start writing the file out.
const (
	copyChunk      = 1 << 20
	pipeDepth      = 8
	writebackEvery = 8 << 20
)

// syncEvery is how many written bytes make the sync-behind stage flush the file (fdatasync)
// while the write goes on. Starting writeback is not enough for a short final fsync: on a
// virtual disk the writes land in the host's cache, and the device flush of the final fsync
// then waits for all of them (measured on a 1 GiB write: 0.45 s of fsync after writeback
// every 8 MiB, 0.01 to 0.03 s with a flush behind every 16 to 64 MiB). 32 MiB lets a 64 MiB
// chunk of a chunked upload flush its first half while its second half arrives.
var syncEvery int64 = 32 << 20

// syncBehind is what the sync-behind stage calls (tests count the calls).
var syncBehind = datasync

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
// (Linux: sync_file_range), and a fourth goroutine flushes the file every syncEvery bytes
// while the write goes on, so the caller's final fsync is short (every caller makes one).
// A source that fits in one buffer is written and hashed in place, with no goroutine.
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

	// the sync-behind stage, started by the writer at the first syncEvery bytes
	syncs   chan struct{} // a flush is due; closed by the writer when it ends
	synced  chan struct{} // closed when the stage has ended
	syncErr error         // the first failed flush; read after synced
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
	defer p.endSyncs()
	flushed, nextSync := p.off, syncEvery
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
			if p.werr == nil && p.written >= nextSync {
				p.syncSoon()
				nextSync = p.written + syncEvery
			}
		}
		p.release(pc)
	}
}

// syncSoon asks the sync-behind stage for a flush, starting it on first use; a flush asked
// for while one is already pending is the same flush.
func (p *pipeline) syncSoon() {
	if p.syncs == nil {
		p.syncs, p.synced = make(chan struct{}, 1), make(chan struct{})
		go p.syncLoop()
	}
	select {
	case p.syncs <- struct{}{}:
	default:
	}
}

// syncLoop is the sync-behind stage. A failed flush is kept: the kernel reports a writeback
// error once per open file, so the caller's own fsync might not see it again.
func (p *pipeline) syncLoop() {
	defer close(p.synced)
	for range p.syncs {
		if p.syncErr == nil {
			if err := syncBehind(p.f); err != nil {
				p.syncErr = err
				p.stopped.Store(true)
			}
		}
	}
}

// endSyncs ends the sync-behind stage, if it started, once its pending flush is done.
func (p *pipeline) endSyncs() {
	if p.syncs != nil {
		close(p.syncs)
		<-p.synced
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
	if p.syncErr != nil {
		return p.written, fmt.Errorf("flushing written data: %w", p.syncErr)
	}
	return p.written, readErr
}
