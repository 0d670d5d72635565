package files

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// A download that can fetch ranges (RangesWriterTo) keeps its state beside the final name,
// so that a pull run again after the process died fetches only what is missing:
//
//	<folder>/
//	  band.tif                  the final name: renamed into place once the digest matched
//	  .band.tif.partial         the bytes received so far, each at its offset (sparse)
//	  .band.tif.partial.ranges  the journal: a header line naming digest and size, then
//	                            one record per run of bytes known to be on disk
//
// A record is appended only after the data file was synced, so every run it names is
// durable; records are checksummed, so a torn last record is ignored. The journal is read
// only to decide what to fetch: the whole file is still hashed from disk before it gets its
// final name. A journal for another digest or size (the tag moved) starts the file afresh.
// The data file is locked (flock) while in use, so a second pull into the same folder
// downloads to a temporary file of its own instead.
const (
	partialSuffix = ".partial"
	journalExt    = ".ranges" // the journal is the partial name + journalExt
	journalMagic  = "eopack partial v1"
	recordSize    = 20 // start, end (big-endian uint64) + CRC-32 of those 16 bytes

	// commitBytes and commitEvery say when the data is synced and journaled: after this
	// many new bytes or this long, whichever is first.
	commitBytes = 32 << 20
	commitEvery = time.Second
	// maxUnjournaled bounds the bytes a killed pull fetches again: writers wait while
	// this many are written but not yet journaled, so a link faster than the disk does
	// not run ahead of what a next run could trust.
	maxUnjournaled = 64 << 20
)

// errPartialBusy says another process is using the partial file.
var errPartialBusy = errors.New("partial file in use")

// partialName is the hidden name of name's partial download, in the same folder.
func partialName(name string) string {
	return filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+partialSuffix)
}

// partial is an open partial download: the data file, locked, and its journal.
type partial struct {
	root *os.Root
	name string // data file, relative to root
	f    *os.File
	j    *os.File
	have [][2]int64 // spans on disk when opened, sorted and merged

	mu          sync.Mutex
	pending     [][2]int64 // written since the last commit began
	bytes       int64      // in pending
	unjournaled int64      // written, not yet journaled (pending and the commit under way)
	journaled   *sync.Cond // on mu: unjournaled went down
	err         error      // first journal error: later commits are skipped
	halted      bool
	kick        chan struct{}
	stop        chan struct{}
	stopped     chan struct{}
}

// openPartial opens (or creates) the partial download of desc for name and starts its
// committer. It returns errPartialBusy when another process holds it, or the error that
// kept it from being opened.
func openPartial(root *os.Root, name string, desc ocispec.Descriptor) (*partial, error) {
	pn := partialName(name)
	f, err := lockPartial(root, pn, os.O_CREATE)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	j, err := root.OpenFile(pn+journalExt, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		f.Close()
		return nil, cleanRootErr(err)
	}
	p := &partial{root: root, name: pn, f: f, j: j,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	p.journaled = sync.NewCond(&p.mu)
	p.have = readJournal(j, desc, fi.Size())
	if p.have == nil {
		if err := p.reset(desc); err != nil {
			f.Close()
			j.Close()
			p.remove()
			return nil, err
		}
	}
	go p.commitLoop()
	return p, nil
}

// present is the number of bytes carried over from an earlier run.
func (p *partial) present() int64 {
	var n int64
	for _, h := range p.have {
		n += h[1] - h[0]
	}
	return n
}

// reset empties the data file and starts the journal afresh for desc.
func (p *partial) reset(desc ocispec.Descriptor) error {
	p.have = [][2]int64{}
	if err := p.f.Truncate(0); err != nil {
		return err
	}
	if err := p.j.Truncate(0); err != nil {
		return err
	}
	_, err := p.j.WriteAt(fmt.Appendf(nil, "%s %s %d\n", journalMagic, desc.Digest, desc.Size), 0)
	return err
}

// readJournal returns the spans j records for desc, sorted and merged, or nil when j is
// empty, for another blob, or names bytes beyond the data file's size (which then is not
// the file the journal was written for).
func readJournal(j *os.File, desc ocispec.Descriptor, dataSize int64) [][2]int64 {
	r := bufio.NewReader(io.NewSectionReader(j, 0, 1<<62))
	header, err := r.ReadString('\n')
	if err != nil || header != fmt.Sprintf("%s %s %d\n", journalMagic, desc.Digest, desc.Size) {
		return nil
	}
	spans := [][2]int64{}
	var rec [recordSize]byte
	for {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			break // the end, or a torn last record
		}
		if crc32.ChecksumIEEE(rec[:16]) != binary.BigEndian.Uint32(rec[16:]) {
			break
		}
		s, e := int64(binary.BigEndian.Uint64(rec[:8])), int64(binary.BigEndian.Uint64(rec[8:16]))
		if s < 0 || s >= e || e > desc.Size || e > dataSize {
			return nil
		}
		spans = append(spans, [2]int64{s, e})
	}
	return merge(spans)
}

// merge sorts spans and joins those that overlap or touch.
func merge(spans [][2]int64) [][2]int64 {
	slices.SortFunc(spans, func(a, b [2]int64) int { return int(min(max(a[0]-b[0], -1), 1)) })
	out := spans[:0]
	for _, s := range spans {
		if n := len(out); n > 0 && s[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], s[1])
			continue
		}
		out = append(out, s)
	}
	return out
}

// mark records that bytes [off, off+n) were written; a commit follows within commitEvery,
// or at once once commitBytes are waiting. It waits while maxUnjournaled bytes are.
func (p *partial) mark(off, n int64) {
	p.mu.Lock()
	p.pending = append(p.pending, [2]int64{off, off + n})
	p.bytes += n
	p.unjournaled += n
	full := p.bytes >= commitBytes
	if full {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	for p.unjournaled >= maxUnjournaled && p.err == nil && !p.halted {
		p.journaled.Wait()
	}
	p.mu.Unlock()
}

func (p *partial) commitLoop() {
	defer close(p.stopped)
	t := time.NewTicker(commitEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-p.kick:
		case <-t.C:
		}
		p.commit()
	}
}

// commit syncs the data file, then appends a record for each run written since the last
// commit. A failure stops journaling (the download goes on; a later run fetches more).
func (p *partial) commit() {
	p.mu.Lock()
	spans, n := merge(p.pending), p.bytes
	p.pending, p.bytes = nil, 0
	failed := p.err != nil
	p.mu.Unlock()
	if len(spans) == 0 || failed {
		return
	}
	defer func() {
		p.mu.Lock()
		p.unjournaled -= n
		p.journaled.Broadcast()
		p.mu.Unlock()
	}()
	err := p.f.Sync()
	if err == nil {
		end, serr := p.j.Seek(0, io.SeekEnd)
		buf := make([]byte, 0, len(spans)*recordSize)
		for _, s := range spans {
			rec := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(s[0])), uint64(s[1]))
			buf = append(append(buf, rec...), binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(rec))...)
		}
		if err = serr; err == nil {
			_, err = p.j.WriteAt(buf, end)
		}
	}
	if err != nil {
		p.mu.Lock()
		p.err = err // the deferred Broadcast wakes writers, who then no longer wait
		p.mu.Unlock()
	}
}

// halt stops the committer; with keep, what was written so far is committed first.
func (p *partial) halt(keep bool) {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	p.halted = true
	p.journaled.Broadcast()
	p.mu.Unlock()
	if keep {
		p.commit()
	}
}

// close stops the committer and closes both files, keeping everything written so far for
// the next run.
func (p *partial) close() {
	p.halt(true)
	p.f.Close() // also releases the lock
	p.j.Close()
}

// remove deletes both files (after close).
func (p *partial) remove() {
	p.root.Remove(p.name)
	p.root.Remove(p.name + journalExt)
}

// take ends a download that is complete and verified: the data file moves to a fresh
// temporary name (which the caller renames into place, or removes) and the journal is
// removed. The data file is checked to be the one this run wrote and verified, since its
// name is known to everyone (even a title in the same pull could be that name), unlike the
// temporary name. The lock is held until release.
func (p *partial) take(name string) (tmp string, release func(bool), err error) {
	p.halt(false)
	tmp = tempName(name)
	if err := p.root.Rename(p.name, tmp); err != nil {
		p.close()
		return "", nil, cleanRootErr(err)
	}
	fi, err1 := p.f.Stat()
	ti, err2 := p.root.Lstat(tmp)
	if err1 != nil || err2 != nil || !os.SameFile(fi, ti) {
		p.close()
		p.root.Remove(tmp)
		return "", nil, fmt.Errorf("%s was replaced while it was written: %w", p.name, ErrDigestMismatch)
	}
	p.j.Close()
	p.root.Remove(p.name + journalExt)
	return tmp, func(ok bool) {
		if !ok {
			p.root.Remove(tmp)
		}
		p.f.Close()
	}, nil
}

// discardPartial removes a partial download of name left by an earlier run, unless
// another process is using it.
func discardPartial(root *os.Root, name string) {
	pn := partialName(name)
	if f, err := lockPartial(root, pn, 0); err == nil {
		root.Remove(pn + journalExt)
		root.Remove(pn)
		f.Close()
	}
}

// lockPartial opens the partial file pn read-write (flag may add os.O_CREATE) and locks
// it. It fails with errPartialBusy when another process holds the lock, or when the file
// is no longer under that name once locked (the process that held it just renamed it into
// place or removed it).
func lockPartial(root *os.Root, pn string, flag int) (*os.File, error) {
	f, err := root.OpenFile(pn, os.O_RDWR|flag, 0o644)
	if err != nil {
		return nil, cleanRootErr(err)
	}
	if !tryLock(f) {
		f.Close()
		return nil, errPartialBusy
	}
	fi, err1 := f.Stat()
	li, err2 := root.Lstat(pn)
	if err1 != nil || err2 != nil || !os.SameFile(fi, li) {
		f.Close()
		return nil, errPartialBusy
	}
	return f, nil
}

// Resumable is the number of bytes of desc that an earlier, interrupted run left in the
// partial file of its title, ready to be carried over (0 when there is none).
func (w *Writer) Resumable(desc ocispec.Descriptor) int64 {
	name, err := CheckTitle(desc.Annotations[ocispec.AnnotationTitle])
	if err != nil {
		return 0
	}
	root, base, _ := w.folder(name, false)
	pn := partialName(base)
	fi, err := root.Lstat(pn)
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	j, err := root.Open(pn + journalExt)
	if err != nil {
		return 0
	}
	defer j.Close()
	p := partial{have: readJournal(j, desc, fi.Size())}
	return p.present()
}
