package s3store

import (
	"crypto/sha256"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/blobstore/blobstoretest"
	"github.com/opencontainers/go-digest"
)

func start(t *testing.T, s *Store) *blobstoretest.Session {
	t.Helper()
	id, state := blobstoretest.Start(t, s)
	return &blobstoretest.Session{ID: id, State: state}
}

func decode(t *testing.T, state []byte) *state {
	t.Helper()
	st, err := decodeState(state)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func commit(t *testing.T, s *Store, u *blobstoretest.Session, want []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(want)
	if err := s.Commit(t.Context(), u.ID, u.State, d, int64(len(want))); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	blobstoretest.CheckBlob(t, s, d, want)
	return d
}

// tails lists the ends of session id's tail objects.
func tails(t *testing.T, s *Store, id string) []int64 {
	t.Helper()
	var ends []int64
	for _, k := range keys(t, s, "uploads/"+id+"/tail-") {
		end, err := strconv.ParseInt(k[len(s.uploadDir(id)+"tail-"):], 10, 64)
		if err != nil {
			t.Fatalf("key %s", k)
		}
		ends = append(ends, end)
	}
	slices.Sort(ends)
	return ends
}

// Appends of 1, 3 and 7 MiB (give or take) carry their tails across parts: every part but
// the last holds at least 5 MiB, the tail less, and only the state's tails are kept.
func TestAppendMixedChunks(t *testing.T) {
	s := open(t)
	b := blobstoretest.Data(25<<20+99, 1)
	u := start(t, s)
	h := sha256.New()
	sizes := []int{1<<20 + 13, 3<<20 + 2, 7<<20 - 5, 1 << 20, 7 << 20, 3<<20 + 1}
	for i, off := 0, 0; off < len(b); i++ {
		n := min(sizes[i%len(sizes)], len(b)-off)
		prev := u.Size
		u.Append(t, s, b[off:off+n], h)
		off += n
		st := decode(t, u.State)
		for j, p := range st.parts {
			if p.size < minPart {
				t.Fatalf("append %d: part %d holds %d bytes", i, j+1, p.size)
			}
		}
		if tail := st.end - st.partsSize(); tail >= minPart || st.end != int64(off) {
			t.Fatalf("append %d: tail of %d bytes, end %d (want %d)", i, tail, st.end, off)
		}
		want := []int64{prev, u.Size}
		if i == 0 {
			want = want[1:] // a fresh session has no tail before its first Append
		}
		if got := tails(t, s, u.ID); !slices.Equal(got, want) {
			t.Fatalf("append %d: tails %v, want %v", i, got, want)
		}
	}
	if st := decode(t, u.State); len(st.parts) < 3 || st.end == st.partsSize() {
		t.Fatalf("%d parts and a tail of %d bytes: the test wants several parts and a tail", len(st.parts), st.end-st.partsSize())
	}
	if got := digest.NewDigest(digest.SHA256, h); got != digest.FromBytes(b) {
		t.Fatalf("hash over the appends %s, want %s", got, digest.FromBytes(b))
	}
	commit(t, s, u, b)
	checkNoSession(t, s)
}

// An Append from an older recorded state after a newer one that was never recorded: the
// newer one's parts and tail are overwritten or dropped, never in the blob. Once within a
// multipart upload, once with the upload started by the unrecorded Append.
func TestAppendFromOlderState(t *testing.T) {
	for _, c := range []struct {
		name                      string
		first, unrecorded, a2, a3 int
	}{
		{"same multipart upload", 9 << 20, 10 << 20, 2 << 20, 8 << 20},
		{"upload of its own", 1 << 20, 9 << 20, 9 << 20, 1 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			first, lost := blobstoretest.Data(c.first, 1), blobstoretest.Data(c.unrecorded, 2)
			a2, a3 := blobstoretest.Data(c.a2, 3), blobstoretest.Data(c.a3, 4)
			u := start(t, s)
			u.Append(t, s, first, nil)
			recorded := *u
			u.Append(t, s, lost, nil) // its state is never recorded
			u = &recorded
			u.Append(t, s, a2, nil)
			if got := tails(t, s, u.ID); !slices.Equal(got, []int64{int64(c.first), u.Size}) {
				t.Fatalf("tails %v after the Append from the older state", got)
			}
			u.Append(t, s, a3, nil)
			want := slices.Concat(first, a2, a3)
			blobstoretest.CheckUpload(t, s, u, want)
			commit(t, s, u, want)
			checkNoSession(t, s)
		})
	}
}

// A session of more than two parts is committed, above maxCopy with a multipart copy; a
// retried Commit and a Commit onto an existing blob succeed; Commit of fewer bytes than the
// session holds keeps those.
func TestCommitManyParts(t *testing.T) {
	s := open(t)
	s.maxCopy, s.copyPart = 6<<20, 5<<20
	b := blobstoretest.Data(17<<20+3, 1)
	u := start(t, s)
	u.Append(t, s, b, nil)
	if st := decode(t, u.State); len(st.parts) != 2 || st.end-st.partsSize() != 1<<20+3 {
		t.Fatalf("%d parts, tail %d", len(st.parts), st.end-st.partsSize())
	}
	d := commit(t, s, u, b)
	checkNoSession(t, s)
	if err := s.Commit(t.Context(), u.ID, u.State, d, int64(len(b))); err != nil {
		t.Fatalf("retried Commit: %v", err)
	}
	again := start(t, s)
	again.Append(t, s, b, nil)
	commit(t, s, again, b)
	short := start(t, s)
	short.Append(t, s, b[:10<<20], nil)
	commit(t, s, short, b[:6<<20+5])
	tail := start(t, s)
	tail.Append(t, s, b[:10], nil)
	commit(t, s, tail, b[:6])
	checkNoSession(t, s)
	if k := keys(t, s, ""); len(k) != 3 {
		t.Fatalf("objects %v, want the 3 blobs", k)
	}
}

// ReadUpload of a session with parts completes its multipart upload; Commit uses it.
func TestReadUploadThenCommit(t *testing.T) {
	s := open(t)
	b := blobstoretest.Data(10<<20+5, 1)
	u := start(t, s)
	u.Append(t, s, b[:6<<20], nil) // a part of 6 MiB
	u.Append(t, s, b[6<<20:], nil)
	if st := decode(t, u.State); len(st.parts) != 1 {
		t.Fatalf("%d parts, want 1", len(st.parts))
	}
	for _, size := range []int64{int64(len(b)), 1 << 20, 0} {
		blobstoretest.CheckUpload(t, s, &blobstoretest.Session{ID: u.ID, State: u.State, Size: size}, b[:size])
	}
	if up := uploads(t, s, ""); len(up) != 0 || !slices.Contains(keys(t, s, "uploads/"), s.dataKey(u.ID)) {
		t.Fatalf("after ReadUpload: multipart uploads %v, objects %v", up, keys(t, s, "uploads/"))
	}
	commit(t, s, u, b)
	checkNoSession(t, s)
}

// WalkUploads reports abandoned sessions once each, with their size and a recent time, also
// one whose unrecorded Append started a multipart upload; Abort leaves nothing of them.
func TestWalkUploadsAbandoned(t *testing.T) {
	s := open(t)
	before := time.Now().Add(-2 * time.Second)
	a, b := start(t, s), start(t, s)
	a.Append(t, s, blobstoretest.Data(9<<20, 1), nil)
	b.Append(t, s, blobstoretest.Data(1<<20, 2), nil)
	recorded := *b
	b.Append(t, s, blobstoretest.Data(9<<20, 3), nil) // never recorded: its upload is not in the state
	blobstoretest.Put(t, s, blobstoretest.Data(100, 4))
	got := map[string]blobstore.UploadInfo{}
	err := s.WalkUploads(t.Context(), func(u blobstore.UploadInfo) error {
		if _, dup := got[u.ID]; dup {
			t.Errorf("session %s reported twice", u.ID)
		}
		got[u.ID] = u
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[a.ID].Size != 9<<20 || got[b.ID].Size != 10<<20 {
		t.Fatalf("WalkUploads = %+v", got)
	}
	for _, u := range got {
		if u.ModTime.Before(before) || u.ModTime.After(time.Now().Add(2*time.Second)) {
			t.Fatalf("session %s: ModTime %v", u.ID, u.ModTime)
		}
	}
	if len(uploads(t, s, "uploads/")) != 2 {
		t.Fatalf("multipart uploads %v, want 2", uploads(t, s, "uploads/"))
	}
	for _, u := range []*blobstoretest.Session{a, &recorded} {
		if err := s.Abort(t.Context(), u.ID, u.State); err != nil {
			t.Fatal(err)
		}
	}
	checkNoSession(t, s)
	blobstoretest.CheckUploads(t, s, nil)
	if k := keys(t, s, "blobs/"); len(k) != 1 {
		t.Fatalf("blobs %v after Abort", k)
	}
}

// A tail replaced under the state's key (by an Append that was never recorded) is refused,
// never read into a blob.
func TestTailReplaced(t *testing.T) {
	s := open(t)
	b := blobstoretest.Data(1000, 1)
	u := start(t, s)
	u.Append(t, s, b, nil)
	if _, err := s.putTail(t.Context(), u.ID, u.Size, blobstoretest.Data(1000, 2), false); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Append(t.Context(), u.ID, u.State, u.Size, strings.NewReader("more"), nil)
	if !errors.Is(err, blobstore.ErrUploadGone) {
		t.Fatalf("Append = %v, want ErrUploadGone", err)
	}
	d := digest.FromBytes(b)
	if err := s.Commit(t.Context(), u.ID, u.State, d, int64(len(b))); !errors.Is(err, blobstore.ErrUploadGone) {
		t.Fatalf("Commit = %v, want ErrUploadGone", err)
	}
	checkNoObject(t, s, d)
}

// A session started and never appended to costs no request: not when it starts, not when
// it is aborted (its blob sent whole went straight to its key), and its empty blob costs
// only the blob's own Put. Its first Append makes its first object, the one tail.
func TestFreshSessionCostsNoRequest(t *testing.T) {
	s := open(t)
	c := countRequests(s)
	u := start(t, s)
	if err := s.Abort(t.Context(), u.ID, u.State); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if len(c.n) != 0 {
		t.Fatalf("StartUpload and Abort sent requests %v, want none", c.n)
	}

	e := start(t, s)
	if r, err := s.ReadUpload(t.Context(), e.ID, e.State, 0); err != nil {
		t.Fatalf("ReadUpload of a fresh session: %v", err)
	} else {
		r.Close()
	}
	if len(c.n) != 0 {
		t.Fatalf("ReadUpload of a fresh session sent requests %v, want none", c.n)
	}
	commit(t, s, e, nil)
	if c.n["PUT"] != 1 {
		t.Fatalf("Commit of a fresh session sent %v, want one PUT (the empty blob)", c.n)
	}

	w := start(t, s)
	if len(tails(t, s, w.ID)) != 0 {
		t.Fatal("StartUpload made an object")
	}
	w.Append(t, s, []byte("abc"), nil)
	if got := tails(t, s, w.ID); !slices.Equal(got, []int64{3}) {
		t.Fatalf("tails %v after the first Append, want [3]", got)
	}
	clear(c.n)
	if err := s.Abort(t.Context(), w.ID, w.State); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if c.n["DELETE"] == 0 {
		t.Fatalf("Abort of a written session sent %v, no DELETE", c.n)
	}
	checkNoSession(t, s)
}
