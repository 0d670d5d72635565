package blobstoretest

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/eopack/eopack/blobstore"
	"github.com/opencontainers/go-digest"
)

// Session is an upload in progress as a caller keeps it: the store's state and the
// acknowledged size.
type Session struct {
	ID    string
	State []byte
	Size  int64
}

// Start begins a session with a new id.
func Start(t *testing.T, s blobstore.Store) (string, []byte) {
	t.Helper()
	id := NewID()
	state, err := s.StartUpload(ctx(t), id)
	if err != nil {
		t.Fatalf("StartUpload: %v", err)
	}
	return id, state
}

// Append appends b at the session's size and acknowledges it, failing t on an error.
func (u *Session) Append(t *testing.T, s blobstore.Store, b []byte, hash io.Writer) {
	t.Helper()
	n, state, err := s.Append(ctx(t), u.ID, u.State, u.Size, bytes.NewReader(b), hash)
	if err != nil || n != int64(len(b)) {
		t.Fatalf("Append %d bytes at %d = %d, %v", len(b), u.Size, n, err)
	}
	u.State, u.Size = state, u.Size+n
}

func newSession(t *testing.T, s blobstore.Store) *Session {
	id, state := Start(t, s)
	return &Session{ID: id, State: state}
}

// commit commits the session as blob want and checks the blob.
func (u *Session) commit(t *testing.T, s blobstore.Store, want []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(want)
	if err := s.Commit(ctx(t), u.ID, u.State, d, int64(len(want))); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	CheckBlob(t, s, d, want)
	return d
}

var uploadCases = []testCase{
	{"UploadChunks", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 50)
		u := newSession(t, s)
		h := sha256.New()
		for _, chunk := range [][]byte{b[:1], b[1 : 1<<20], b[1<<20 : 2<<20+5], b[2<<20+5:]} {
			u.Append(t, s, chunk, h)
		}
		d := digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil))
		if d != digest.FromBytes(b) {
			t.Fatalf("hash over the appends is %s, want %s", d, digest.FromBytes(b))
		}
		u.commit(t, s, b)
		CheckUploads(t, s, nil)
	}},
	{"UploadEmpty", func(t *testing.T, s blobstore.Store) {
		u := newSession(t, s)
		u.commit(t, s, []byte{})
	}},
	{"AppendDiscardsUnacknowledged", func(t *testing.T, s blobstore.Store) {
		b := Data(10, 51)
		u := newSession(t, s)
		u.Append(t, s, b, nil) // written, but the caller never acknowledged it:
		u.Size = 5
		u.Append(t, s, []byte("XYZ"), nil)
		want := append(b[:5:5], "XYZ"...)
		CheckUpload(t, s, u, want)
		CheckUploads(t, s, map[string]int64{u.ID: 8}) // the tail was cut off, not overwritten
		u.commit(t, s, want)
	}},
	{"AppendReaderFails", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 52)
		u := newSession(t, s)
		u.Append(t, s, b[:5], nil)
		_, _, err := s.Append(ctx(t), u.ID, u.State, u.Size, FailAfter(b[5:], 2<<20), nil)
		if err == nil {
			t.Fatal("Append from a failing reader succeeded")
		}
		CheckUpload(t, s, u, b[:5])
		u.Append(t, s, b[5:], nil)
		u.commit(t, s, b)
	}},
	{"HashSeesAppendedBytes", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 53)
		u := newSession(t, s)
		for i, chunk := range [][]byte{b[:100], b[100 : 3<<20], b[3<<20:]} {
			var seen bytes.Buffer
			u.Append(t, s, chunk, &seen)
			if !bytes.Equal(seen.Bytes(), chunk) {
				t.Fatalf("append %d: hash saw %d bytes, want the %d appended", i, seen.Len(), len(chunk))
			}
		}
		u.commit(t, s, b)
	}},
	{"AppendPastSize", func(t *testing.T, s blobstore.Store) {
		u := newSession(t, s)
		u.Append(t, s, []byte("abc"), nil)
		_, _, err := s.Append(ctx(t), u.ID, u.State, 10, bytes.NewReader([]byte("x")), nil)
		wantErr(t, "Append past the session's bytes", err, blobstore.ErrUploadGone)
	}},
	{"CommitRetried", func(t *testing.T, s blobstore.Store) {
		b := Data(1000, 54)
		u := newSession(t, s)
		u.Append(t, s, b, nil)
		d := u.commit(t, s, b)
		if err := s.Commit(ctx(t), u.ID, u.State, d, int64(len(b))); err != nil {
			t.Fatalf("retried Commit: %v", err)
		}
		CheckBlob(t, s, d, b)
		_, _, err := s.Append(ctx(t), u.ID, u.State, u.Size, bytes.NewReader(b), nil)
		wantErr(t, "Append after Commit", err, blobstore.ErrUploadGone)
		CheckBlob(t, s, d, b)
		CheckUploads(t, s, nil)
	}},
	{"CommitGone", func(t *testing.T, s blobstore.Store) {
		b := Data(1000, 55)
		u := newSession(t, s)
		u.Append(t, s, b, nil)
		if err := s.Abort(ctx(t), u.ID, u.State); err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(b)
		err := s.Commit(ctx(t), u.ID, u.State, d, int64(len(b)))
		wantErr(t, "Commit after Abort", err, blobstore.ErrUploadGone)
		CheckMissing(t, s, d)
	}},
	{"CommitShort", func(t *testing.T, s blobstore.Store) {
		b := Data(1000, 56)
		u := newSession(t, s)
		u.Append(t, s, b[:400], nil)
		d := digest.FromBytes(b)
		if err := s.Commit(ctx(t), u.ID, u.State, d, int64(len(b))); err == nil {
			t.Fatal("Commit of more bytes than the session holds succeeded")
		}
		CheckMissing(t, s, d)
	}},
	{"AbortThenAppend", func(t *testing.T, s blobstore.Store) {
		u := newSession(t, s)
		u.Append(t, s, []byte("abc"), nil)
		for range 2 {
			if err := s.Abort(ctx(t), u.ID, u.State); err != nil {
				t.Fatalf("Abort: %v", err)
			}
		}
		_, _, err := s.Append(ctx(t), u.ID, u.State, u.Size, bytes.NewReader([]byte("d")), nil)
		wantErr(t, "Append after Abort", err, blobstore.ErrUploadGone)
		_, err = s.ReadUpload(ctx(t), u.ID, u.State, 0)
		wantErr(t, "ReadUpload after Abort", err, blobstore.ErrUploadGone)
		CheckUploads(t, s, nil)
	}},
	{"ReadUpload", func(t *testing.T, s blobstore.Store) {
		b := Data(big, 57)
		u := newSession(t, s)
		u.Append(t, s, b, nil)
		for _, size := range []int64{0, 1, 1 << 20, int64(len(b))} {
			CheckUpload(t, s, &Session{ID: u.ID, State: u.State, Size: size}, b[:size])
		}
		if r, err := s.ReadUpload(ctx(t), u.ID, u.State, int64(len(b))+1); err == nil {
			r.Close()
			t.Fatal("ReadUpload of more bytes than the session holds succeeded")
		}
	}},
	{"WalkUploads", func(t *testing.T, s blobstore.Store) {
		a, b, c := newSession(t, s), newSession(t, s), newSession(t, s)
		a.Append(t, s, Data(300, 58), nil)
		b.Append(t, s, nil, nil) // written, if with nothing: a session never written may be missing
		c.Append(t, s, Data(10, 59), nil)
		if err := s.Abort(ctx(t), c.ID, c.State); err != nil {
			t.Fatal(err)
		}
		Put(t, s, Data(20, 60)) // blobs are not sessions
		CheckUploads(t, s, map[string]int64{a.ID: 300, b.ID: 0})
	}},
}

// CheckUpload fails t unless ReadUpload of u's size returns want.
func CheckUpload(t *testing.T, s blobstore.Store, u *Session, want []byte) {
	t.Helper()
	r, err := s.ReadUpload(ctx(t), u.ID, u.State, u.Size)
	if err != nil {
		t.Fatalf("ReadUpload %d: %v", u.Size, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadUpload %d: %d bytes, %v; want %d bytes, equal", u.Size, len(got), err, len(want))
	}
}

// CheckUploads fails t unless WalkUploads lists exactly the sessions in want (id → size).
func CheckUploads(t *testing.T, s blobstore.Store, want map[string]int64) {
	t.Helper()
	got := map[string]int64{}
	err := s.WalkUploads(ctx(t), func(u blobstore.UploadInfo) error {
		got[u.ID] = u.Size
		return nil
	})
	if err != nil {
		t.Fatalf("WalkUploads: %v", err)
	}
	if want == nil {
		want = map[string]int64{}
	}
	if !equalMaps(got, want) {
		t.Fatalf("WalkUploads listed %v, want %v", got, want)
	}
}
