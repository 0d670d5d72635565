package progress

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
)

func counted() (*atomic.Int64, func(int64)) {
	var n atomic.Int64
	return &n, func(k int64) { n.Add(k) }
}

// TestReaderKeepsCapabilities: a file or bytes in memory stay an io.ReaderAt and io.Seeker
// once wrapped (remote.Uploader sends such a body in one request); a stream stays a stream.
func TestReaderKeepsCapabilities(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range []struct {
		name       string
		r          io.Reader
		at, seeker bool
	}{
		{"file", f, true, true},
		{"bytes", bytes.NewReader([]byte("x")), true, true},
		{"section", io.NewSectionReader(bytes.NewReader([]byte("x")), 0, 1), true, true},
		{"stream", iotest.OneByteReader(bytes.NewReader([]byte("x"))), false, false},
	} {
		r := Reader(c.r, func(int64) {})
		_, at := r.(io.ReaderAt)
		_, seeker := r.(io.Seeker)
		if at != c.at || seeker != c.seeker {
			t.Errorf("%s: ReaderAt %v Seeker %v, want %v %v", c.name, at, seeker, c.at, c.seeker)
		}
	}
}

// TestReaderCountsEachByteOnce: a body read as a stream, sent again from offset 0 (an auth
// challenge), read back after a Seek, or read in chunks out of order counts its size once.
func TestReaderCountsEachByteOnce(t *testing.T) {
	blob := bytes.Repeat([]byte("0123456789"), 100_000) // 1,000,000 bytes
	size := int64(len(blob))

	n, add := counted()
	r := Reader(iotest.HalfReader(bytes.NewReader(blob)), add)
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatal(err)
	}
	if n.Load() != size {
		t.Errorf("stream: counted %d, want %d", n.Load(), size)
	}

	n, add = counted()
	r = Reader(bytes.NewReader(blob), add)
	ra := r.(io.ReaderAt)
	for range 2 { // sent, then sent again
		if _, err := io.Copy(io.Discard, io.NewSectionReader(ra, 0, size)); err != nil {
			t.Fatal(err)
		}
	}
	if n.Load() != size {
		t.Errorf("sent twice: counted %d, want %d", n.Load(), size)
	}

	n, add = counted()
	r = Reader(bytes.NewReader(blob), add)
	half := make([]byte, size/2)
	io.ReadFull(r, half)
	r.(io.Seeker).Seek(0, io.SeekStart)
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatal(err)
	}
	if n.Load() != size {
		t.Errorf("read after a seek back: counted %d, want %d", n.Load(), size)
	}

	n, add = counted()
	ra = Reader(bytes.NewReader(blob), add).(io.ReaderAt)
	const chunk = 64 << 10
	var wg sync.WaitGroup
	for off := (size / chunk) * chunk; off >= 0; off -= chunk { // last chunk first, in parallel
		wg.Go(func() {
			buf := make([]byte, chunk+100) // overlapping the next chunk
			ra.ReadAt(buf, off)
		})
	}
	wg.Wait()
	if n.Load() != size {
		t.Errorf("chunks out of order: counted %d, want %d", n.Load(), size)
	}
}

func TestReaderClosesSource(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Reader(f, func(int64) {}).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("the file is still open")
	}
	if err := Reader(bytes.NewReader(nil), func(int64) {}).Close(); err != nil {
		t.Errorf("closing a reader without Close: %v", err)
	}
}

// TestCoverMatchesBitmap: the ranges the counter keeps agree with a byte-by-byte bitmap over
// many random reads.
func TestCoverMatchesBitmap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		const size = 500
		var c counter
		seen := make([]bool, size)
		for range 30 {
			off := rng.Int64N(size)
			n := rng.Int64N(size - off + 1)
			want := int64(0)
			for i := off; i < off+n; i++ {
				if !seen[i] {
					seen[i] = true
					want++
				}
			}
			if got := c.cover(span{off, off + n}); got != want {
				t.Fatalf("round %d: [%d,%d) added %d new bytes, want %d (ranges %v)", round, off, off+n, got, want, c.seen)
			}
		}
		for i, s := range c.seen {
			if s.start >= s.end || (i > 0 && c.seen[i-1].end >= s.start) {
				t.Fatalf("round %d: ranges not sorted and apart: %v", round, c.seen)
			}
		}
	}
}
