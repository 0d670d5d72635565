package progress

import (
	"io"
	"sync"
)

// Reader returns r counting into add the bytes read from it. Each byte of the blob counts
// once however often it is read: an uploader that sends a body again (after an auth
// challenge, or to resume) reads the same offsets again through io.ReaderAt or io.Seeker,
// and the bar does not run past the blob. r's io.ReaderAt and io.Seeker stay visible to type
// assertions (remote.Uploader sends a body it can reread in one request); Close closes r when
// r is an io.Closer.
func Reader(r io.Reader, add func(n int64)) io.ReadCloser {
	c := &counter{r: r, add: add}
	ra, at := r.(io.ReaderAt)
	s, seeks := r.(io.Seeker)
	switch {
	case at && seeks:
		return &readSeekerAt{readerAt{c, ra}, s}
	case at:
		return &readerAt{c, ra}
	case seeks:
		return &readSeeker{c, s}
	}
	return c
}

// counter counts the bytes of one blob by offset: seen holds the ranges read so far.
type counter struct {
	r   io.Reader
	add func(int64)

	mu   sync.Mutex
	pos  int64  // offset of the next Read
	seen []span // sorted, disjoint, not touching
}

type span struct{ start, end int64 } // [start, end)

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	off := c.pos
	c.pos += int64(n)
	c.mu.Unlock()
	c.count(off, n)
	return n, err
}

func (c *counter) Close() error {
	if cl, ok := c.r.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// count adds bytes [off, off+n) and reports to add those not seen before.
func (c *counter) count(off int64, n int) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	fresh := c.cover(span{off, off + int64(n)})
	c.mu.Unlock()
	if fresh > 0 {
		c.add(fresh)
	}
}

// cover merges s into seen and returns how many of its bytes were not there yet.
func (c *counter) cover(s span) int64 {
	if s.end <= s.start {
		return 0
	}
	fresh := s.end - s.start
	merged := s
	var out []span
	for _, t := range c.seen {
		switch {
		case t.end < merged.start || t.start > merged.end: // apart
			out = append(out, t)
		default: // overlapping or touching: take it in
			lo, hi := max(t.start, s.start), min(t.end, s.end)
			if hi > lo {
				fresh -= hi - lo
			}
			merged = span{min(merged.start, t.start), max(merged.end, t.end)}
		}
	}
	// keep the list sorted
	i := 0
	for i < len(out) && out[i].start < merged.start {
		i++
	}
	out = append(out[:i], append([]span{merged}, out[i:]...)...)
	c.seen = out
	return fresh
}

type readerAt struct {
	*counter
	ra io.ReaderAt
}

func (r *readerAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.ra.ReadAt(p, off)
	r.count(off, n)
	return n, err
}

type readSeeker struct {
	*counter
	s io.Seeker
}

func (r *readSeeker) Seek(offset int64, whence int) (int64, error) {
	return seek(r.counter, r.s, offset, whence)
}

type readSeekerAt struct {
	readerAt
	s io.Seeker
}

func (r *readSeekerAt) Seek(offset int64, whence int) (int64, error) {
	return seek(r.counter, r.s, offset, whence)
}

func seek(c *counter, s io.Seeker, offset int64, whence int) (int64, error) {
	pos, err := s.Seek(offset, whence)
	if err == nil {
		c.mu.Lock()
		c.pos = pos
		c.mu.Unlock()
	}
	return pos, err
}
