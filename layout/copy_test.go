package layout

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// WriteHashed writes and hashes exactly the source, at the file's offset, for sizes around
// its buffer boundaries and past its pipeline's depth.
func TestWriteHashedSizes(t *testing.T) {
	for _, size := range []int{0, 1, copyChunk - 1, copyChunk, copyChunk + 1, pipeDepth*copyChunk + 7, 3 * pipeDepth * copyChunk} {
		data := make([]byte, size)
		rand.Read(data)
		f, err := os.Create(filepath.Join(t.TempDir(), "f"))
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("head"))
		h := sha256.New()
		n, err := WriteHashed(t.Context(), f, 4, h, bytes.NewReader(data))
		f.Close()
		if err != nil || n != int64(size) {
			t.Fatalf("size %d: wrote %d, %v", size, n, err)
		}
		if got := sha256.Sum256(data); !bytes.Equal(h.Sum(nil), got[:]) {
			t.Fatalf("size %d: wrong hash", size)
		}
		got, _ := os.ReadFile(f.Name())
		if !bytes.Equal(got, append([]byte("head"), data...)) {
			t.Fatalf("size %d: file differs", size)
		}
		n, err = WriteHashed(t.Context(), mustCreate(t), 0, nil, bytes.NewReader(data))
		if err != nil || n != int64(size) {
			t.Fatalf("size %d without hash: wrote %d, %v", size, n, err)
		}
	}
}

func mustCreate(t *testing.T) *os.File {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// failAfter yields n random bytes, then err.
type failAfter struct {
	n   int
	err error
}

func (r *failAfter) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	rand.Read(p[:k])
	r.n -= k
	return k, nil
}

// A source that fails, a file that cannot be written and a cancelled context each end the
// write with their error; what was written is counted and is in the file.
func TestWriteHashedErrors(t *testing.T) {
	boom := errors.New("connection reset")
	f := mustCreate(t)
	n, err := WriteHashed(t.Context(), f, 0, sha256.New(), &failAfter{n: 5*copyChunk + 3, err: boom})
	if !errors.Is(err, boom) {
		t.Fatalf("source error: %v", err)
	}
	if fi, _ := f.Stat(); n != 5*copyChunk+3 || fi.Size() != n {
		t.Fatalf("source error: %d written, file %d bytes", n, fi.Size())
	}

	ro, err := os.Open(f.Name()) // read-only: every write fails
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	n, err = WriteHashed(t.Context(), ro, 0, sha256.New(), io.LimitReader(rand.Reader, 4*pipeDepth*copyChunk))
	if err == nil || n != 0 {
		t.Fatalf("read-only file: %d written, %v", n, err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := WriteHashed(ctx, mustCreate(t), 0, nil, io.LimitReader(rand.Reader, 3*copyChunk)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// A long write flushes the file behind itself every syncEvery bytes, all flushes end
// before WriteHashed returns, and a failed flush ends the write with its error.
func TestWriteHashedSyncsBehind(t *testing.T) {
	oldEvery, oldSync := syncEvery, syncBehind
	t.Cleanup(func() { syncEvery, syncBehind = oldEvery, oldSync })
	syncEvery = 2 * copyChunk
	var calls, running atomic.Int32
	syncBehind = func(f *os.File) error {
		running.Add(1)
		defer running.Add(-1)
		calls.Add(1)
		return datasync(f)
	}
	data := make([]byte, 10*copyChunk+5)
	rand.Read(data)
	f := mustCreate(t)
	n, err := WriteHashed(t.Context(), f, 0, sha256.New(), bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("wrote %d, %v", n, err)
	}
	if c := calls.Load(); c < 1 || c > 5 {
		t.Fatalf("%d flushes behind a write of %d bytes, want 1 to 5", c, len(data))
	}
	if r := running.Load(); r != 0 {
		t.Fatalf("%d flushes still running after WriteHashed returned", r)
	}
	if got, _ := os.ReadFile(f.Name()); !bytes.Equal(got, data) {
		t.Fatal("file differs")
	}

	calls.Store(0)
	if _, err := WriteHashed(t.Context(), mustCreate(t), 0, nil, bytes.NewReader(data[:syncEvery-1])); err != nil || calls.Load() != 0 {
		t.Fatalf("a write shorter than syncEvery: %v, %d flushes, want none", err, calls.Load())
	}

	eio := errors.New("input/output error")
	syncBehind = func(*os.File) error { return eio }
	_, err = WriteHashed(t.Context(), mustCreate(t), 0, sha256.New(), io.LimitReader(rand.Reader, 4*pipeDepth*copyChunk))
	if !errors.Is(err, eio) {
		t.Fatalf("failed flush: %v, want it reported", err)
	}
}
