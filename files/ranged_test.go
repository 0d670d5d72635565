package files

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func TestPrefixMergesRunsInAnyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type run struct{ off, n int64 }
	var runs []run
	var total int64
	for range 500 {
		n := 1 + r.Int64N(1000)
		runs = append(runs, run{total, n})
		total += n
	}
	r.Shuffle(len(runs), func(i, j int) { runs[i], runs[j] = runs[j], runs[i] })
	written := make([]bool, total)
	p := newPrefix()
	for _, x := range runs {
		p.add(x.off, x.n)
		for i := x.off; i < x.off+x.n; i++ {
			written[i] = true
		}
		want := int64(0)
		for want < total && written[want] {
			want++
		}
		if got := p.get(); got != want {
			t.Fatalf("after [%d,%d): prefix %d, want %d", x.off, x.off+x.n, got, want)
		}
	}
	if len(p.starts)+len(p.ends) != 0 {
		t.Fatalf("%d runs left beyond the prefix", len(p.starts))
	}
}

// piecewise is a RangesWriterTo over bytes in memory that writes 4 KiB pieces of the
// missing spans in a random order from 4 goroutines; with stream set it declines and is
// read as one stream. With failAfter > 0 it stops with errBroken once that many bytes are
// written. It records the spans it was asked for.
type piecewise struct {
	io.Reader
	b         []byte
	stream    bool
	failAfter int64
	failAtEnd bool   // write every byte, then fail anyway
	before    func() // runs before the first write
	asked     [][2]int64
}

var errBroken = errors.New("connection broken")

func (s *piecewise) WriteRangesTo(ctx context.Context, dst io.WriterAt, missing [][2]int64, done func(off, n int64)) (bool, error) {
	s.asked = append(s.asked, missing...)
	if s.stream {
		return false, nil
	}
	if s.before != nil {
		s.before()
	}
	const piece = 4 << 10
	var offs [][2]int64
	for _, m := range missing {
		for o := m[0]; o < m[1]; o += piece {
			offs = append(offs, [2]int64{o, min(o+piece, m[1])})
		}
	}
	rand.Shuffle(len(offs), func(i, j int) { offs[i], offs[j] = offs[j], offs[i] })
	var wg sync.WaitGroup
	var written atomic.Int64
	work := make(chan [2]int64)
	for range 4 {
		wg.Go(func() {
			for o := range work {
				if s.failAfter > 0 && written.Add(o[1]-o[0]) > s.failAfter {
					continue
				}
				dst.WriteAt(s.b[o[0]:o[1]], o[0])
				done(o[0], o[1]-o[0])
			}
		})
	}
	for _, o := range offs {
		work <- o
	}
	close(work)
	wg.Wait()
	if s.failAtEnd || s.failAfter > 0 && written.Load() > s.failAfter {
		return true, errBroken
	}
	return true, nil
}

func TestWriteRanges(t *testing.T) {
	b := make([]byte, 1<<20+123)
	for i := range b {
		b[i] = byte(i * 7)
	}
	d := desc("band.tif", b)
	bad := bytes.Clone(b)
	bad[len(bad)/3] ^= 1
	for _, tc := range []struct {
		name string
		src  *piecewise
		err  error
	}{
		{"ranges", &piecewise{b: b}, nil},
		{"stream fallback", &piecewise{Reader: bytes.NewReader(b), b: b, stream: true}, nil},
		{"wrong bytes", &piecewise{b: bad}, ErrDigestMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := NewWriter(dir, false)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			err = w.Write(context.Background(), d, tc.src)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Write: %v, want %v", err, tc.err)
			}
			names, _ := os.ReadDir(dir)
			if tc.err != nil {
				if len(names) != 0 {
					t.Fatalf("folder holds %v after a failed write, want nothing", names)
				}
				return
			}
			got, err := os.ReadFile(filepath.Join(dir, "band.tif"))
			if err != nil || !bytes.Equal(got, b) || len(names) != 1 {
				t.Fatalf("band.tif: %d bytes (%v), folder %v; want the %d written, alone", len(got), err, names, len(b))
			}
		})
	}
}
