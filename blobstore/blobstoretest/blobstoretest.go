// Package blobstoretest is the test table every blobstore.Store must pass (the filesystem
// store, object stores). Run it from the store's own tests with a function that opens an
// empty store:
//
//	func TestTable(t *testing.T) {
//		blobstoretest.Run(t, func(t *testing.T) blobstore.Store { ... })
//	}
//
// Each case gets its own empty store, so cases may check exact listings.
package blobstoretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	mrand "math/rand/v2"
	"sync"
	"testing"

	// Register the hash functions go-digest looks up by algorithm.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/eopack/eopack/blobstore"
	"github.com/opencontainers/go-digest"
)

// Run runs every case against a fresh store from open.
func Run(t *testing.T, open func(t *testing.T) blobstore.Store) {
	for _, c := range append(blobCases, uploadCases...) {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, s blobstore.Store)
}

// big is larger than one write buffer of a typical store, so blobs span several writes.
const big = 3<<20 + 7

var blobCases = []testCase{
	{"PutRightDigest", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 1)
		d := digest.FromBytes(b)
		n, err := s.Put(ctx(t), d, int64(len(b)), bytes.NewReader(b))
		if err != nil || n != int64(len(b)) {
			t.Fatalf("Put = %d, %v; want %d, nil", n, err, len(b))
		}
		info, err := s.Stat(ctx(t), d)
		if err != nil || info.Size != int64(len(b)) || info.Digest != d {
			t.Fatalf("Stat = %+v, %v", info, err)
		}
		CheckBlob(t, s, d, b)
	}},
	{"PutWrongDigest", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 2)
		other := digest.FromString("something else")
		_, err := s.Put(ctx(t), other, int64(len(b)), bytes.NewReader(b))
		wantErr(t, "Put", err, blobstore.ErrDigestMismatch)
		CheckMissing(t, s, other)
		CheckMissing(t, s, digest.FromBytes(b))
	}},
	{"PutWrongSize", func(t *testing.T, s blobstore.Store) {
		b := Data(1000, 3)
		d := digest.FromBytes(b)
		for _, size := range []int64{999, 1001, 0} {
			_, err := s.Put(ctx(t), d, size, bytes.NewReader(b))
			wantErr(t, "Put", err, blobstore.ErrSizeMismatch)
			CheckMissing(t, s, d)
		}
	}},
	{"PutSHA512", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 4)
		d := digest.SHA512.FromBytes(b)
		if _, err := s.Put(ctx(t), d, int64(len(b)), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		CheckBlob(t, s, d, b)
		bad := digest.SHA512.FromString("x")
		_, err := s.Put(ctx(t), bad, int64(len(b)), bytes.NewReader(b))
		wantErr(t, "Put", err, blobstore.ErrDigestMismatch)
		CheckMissing(t, s, bad)
	}},
	{"PutUnknownSize", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 5)
		d := digest.FromBytes(b)
		n, err := s.Put(ctx(t), d, -1, bytes.NewReader(b))
		if err != nil || n != int64(len(b)) {
			t.Fatalf("Put = %d, %v; want %d, nil", n, err, len(b))
		}
		CheckBlob(t, s, d, b)
		bad := digest.FromString("y")
		_, err = s.Put(ctx(t), bad, -1, bytes.NewReader(b))
		wantErr(t, "Put", err, blobstore.ErrDigestMismatch)
		CheckMissing(t, s, bad)
	}},
	{"PutEmpty", func(t *testing.T, s blobstore.Store) {
		d := digest.FromBytes(nil)
		if _, err := s.Put(ctx(t), d, 0, bytes.NewReader(nil)); err != nil {
			t.Fatal(err)
		}
		CheckBlob(t, s, d, []byte{})
	}},
	{"PutExisting", func(t *testing.T, s blobstore.Store) {
		b := Data(5000, 6)
		d := Put(t, s, b)
		if _, err := s.Put(ctx(t), d, int64(len(b)), bytes.NewReader(b)); err != nil {
			t.Fatalf("second Put: %v", err)
		}
		CheckBlob(t, s, d, b)
		// Other bytes under an existing digest are refused, and the blob stays intact.
		_, err := s.Put(ctx(t), d, int64(len(b)), bytes.NewReader(Data(5000, 7)))
		wantErr(t, "Put", err, blobstore.ErrDigestMismatch)
		CheckBlob(t, s, d, b)
	}},
	{"PutReaderFails", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 8)
		d := digest.FromBytes(b)
		if _, err := s.Put(ctx(t), d, int64(len(b)), FailAfter(b, 2<<20)); err == nil {
			t.Fatal("Put from a failing reader succeeded")
		}
		CheckMissing(t, s, d)
	}},
	{"OpenSeek", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 9)
		d := Put(t, s, b)
		r, info, err := s.Open(ctx(t), d)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if info.Size != int64(len(b)) || info.Digest != d {
			t.Fatalf("Open info = %+v", info)
		}
		for _, rg := range []struct{ off, n int64 }{{0, 10}, {1 << 20, 4096}, {int64(len(b)) - 5, 5}, {17, 1}} {
			if _, err := r.Seek(rg.off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, rg.n)
			if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, b[rg.off:rg.off+rg.n]) {
				t.Fatalf("range %d+%d: %v, wrong bytes", rg.off, rg.n, err)
			}
		}
		end, err := r.Seek(-3, io.SeekEnd)
		if err != nil || end != int64(len(b))-3 {
			t.Fatalf("Seek from end = %d, %v", end, err)
		}
		rest, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(rest, b[len(b)-3:]) {
			t.Fatalf("tail = %x, %v", rest, err)
		}
	}},
	{"Missing", func(t *testing.T, s blobstore.Store) {
		CheckMissing(t, s, digest.FromString("absent"))
		CheckMissing(t, s, digest.SHA512.FromString("absent"))
	}},
	{"DeleteIdempotent", func(t *testing.T, s blobstore.Store) {
		d := Put(t, s, Data(100, 10))
		for range 2 {
			if err := s.Delete(ctx(t), d); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			CheckMissing(t, s, d)
		}
		if err := s.Delete(ctx(t), digest.FromString("never")); err != nil {
			t.Fatalf("Delete of a missing blob: %v", err)
		}
	}},
	{"Walk", func(t *testing.T, s blobstore.Store) {
		want := map[digest.Digest]int64{}
		for i, n := range []int{0, 10, 300, 70000} {
			b := Data(n, uint64(20+i))
			want[Put(t, s, b)] = int64(n)
		}
		b := Data(42, 30)
		d512 := digest.SHA512.FromBytes(b)
		if _, err := s.Put(ctx(t), d512, 42, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		want[d512] = 42
		gone := Put(t, s, Data(7, 31))
		if err := s.Delete(ctx(t), gone); err != nil {
			t.Fatal(err)
		}
		// Neither a session's bytes nor a failed Put is a blob.
		id, state := Start(t, s)
		if _, _, err := s.Append(ctx(t), id, state, 0, bytes.NewReader(Data(50, 32)), nil); err != nil {
			t.Fatal(err)
		}
		s.Put(ctx(t), digest.FromString("z"), -1, bytes.NewReader(Data(50, 33)))
		got := map[digest.Digest]int64{}
		err := s.Walk(ctx(t), func(i blobstore.Info) error {
			if _, dup := got[i.Digest]; dup {
				t.Errorf("Walk listed %s twice", i.Digest)
			}
			got[i.Digest] = i.Size
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !equalMaps(got, want) {
			t.Fatalf("Walk listed %v, want %v", got, want)
		}
		stop := errors.New("stop")
		calls := 0
		err = s.Walk(ctx(t), func(blobstore.Info) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("Walk with a failing fn = %v after %d calls; want stop after 1", err, calls)
		}
	}},
	{"ConcurrentPut", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 40)
		d := digest.FromBytes(b)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { _, errs[i] = s.Put(ctx(t), d, int64(len(b)), bytes.NewReader(b)) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Put %d: %v", i, err)
			}
		}
		CheckBlob(t, s, d, b)
		n := 0
		s.Walk(ctx(t), func(blobstore.Info) error { n++; return nil })
		if n != 1 {
			t.Fatalf("Walk listed %d blobs, want 1", n)
		}
	}},
}

// Data returns n pseudo-random bytes, the same for the same seed.
func Data(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := mrand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)})
	r.Read(b)
	return b
}

// Put stores b under its sha256 digest and returns the digest.
func Put(t *testing.T, s blobstore.Store, b []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(b)
	if _, err := s.Put(ctx(t), d, int64(len(b)), bytes.NewReader(b)); err != nil {
		t.Fatalf("Put %s: %v", d, err)
	}
	return d
}

// CheckBlob fails t unless blob d exists and holds want.
func CheckBlob(t *testing.T, s blobstore.Store, d digest.Digest, want []byte) {
	t.Helper()
	r, info, err := s.Open(ctx(t), d)
	if err != nil {
		t.Fatalf("Open %s: %v", d, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) || info.Size != int64(len(want)) {
		t.Fatalf("blob %s: %d bytes (info %d), %v; want %d bytes, equal", d, len(got), info.Size, err, len(want))
	}
}

// CheckMissing fails t unless Stat and Open of d wrap blobstore.ErrNotFound.
func CheckMissing(t *testing.T, s blobstore.Store, d digest.Digest) {
	t.Helper()
	_, err := s.Stat(ctx(t), d)
	wantErr(t, "Stat", err, blobstore.ErrNotFound)
	r, _, err := s.Open(ctx(t), d)
	if err == nil {
		r.Close()
	}
	wantErr(t, "Open", err, blobstore.ErrNotFound)
}

// NewID returns a random session id, 16 bytes in hex, as the registry makes them.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// FailAfter reads the first n bytes of b, then fails.
func FailAfter(b []byte, n int) io.Reader {
	return io.MultiReader(bytes.NewReader(b[:n]), errReader{})
}

// ErrReader is what a FailAfter reader fails with.
var ErrReader = errors.New("reader failed")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, ErrReader }

func wantErr(t *testing.T, op string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want one wrapping %q", op, err, target)
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func equalMaps[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
