package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/files"
)

// ranges is a body that writes itself as two ranges, the second first (as remote.Ranged's
// parallel requests may land), unless stream is set; ranged records that it did.
type ranges struct {
	io.Reader
	b              []byte
	stream, ranged bool
}

func (r *ranges) Close() error { return nil }

func (r *ranges) WriteRangesTo(_ context.Context, dst io.WriterAt, _ [][2]int64, done func(off, n int64)) (bool, error) {
	if r.stream {
		return false, nil
	}
	r.ranged = true
	half, size := int64(len(r.b)/2), int64(len(r.b))
	for _, rg := range [][2]int64{{half, size}, {0, half}} {
		if _, err := dst.WriteAt(r.b[rg[0]:rg[1]], rg[0]); err != nil {
			return true, err
		}
		done(rg[0], rg[1]-rg[0])
	}
	return true, nil
}

// TestCountBodyKeepsRanges: a pull's body wrapped for its bar still writes itself as
// parallel ranges (files.RangesWriterTo), and its bytes are counted once, as ranges or as
// a stream.
func TestCountBodyKeepsRanges(t *testing.T) {
	b := bytes.Repeat([]byte("eopack"), 100_001)
	desc := ocispec.Descriptor{MediaType: "image/tiff", Digest: digest.FromBytes(b), Size: int64(len(b)),
		Annotations: map[string]string{ocispec.AnnotationTitle: "band.tif"}}
	for _, stream := range []bool{false, true} {
		dir := t.TempDir()
		w, err := files.NewWriter(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		body := &ranges{Reader: bytes.NewReader(b), b: b, stream: stream}
		var n atomic.Int64
		if err := w.Write(context.Background(), desc, countBody(body, desc.Size, func(k int64) { n.Add(k) })); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if body.ranged == stream {
			t.Errorf("stream %v: written as ranges %v", stream, body.ranged)
		}
		if n.Load() != desc.Size {
			t.Errorf("stream %v: counted %d bytes, want %d", stream, n.Load(), desc.Size)
		}
		got, err := os.ReadFile(filepath.Join(dir, "band.tif"))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("stream %v: band.tif not written whole (%v)", stream, err)
		}
	}
}

// TestNoBarsOffTerminal: with stdout and stderr not terminals (buffers, files), a transfer
// prints plain lines.
func TestNoBarsOffTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, stdio := range []*IO{{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, {Out: f, Err: f}} {
		if _, ok := stdio.terminal(); ok {
			t.Errorf("%T: taken for a terminal", stdio.Out)
		}
	}
}
