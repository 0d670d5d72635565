package fsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/blobstore/blobstoretest"
	"github.com/opencontainers/go-digest"
)

func TestTable(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store { return open(t) })
}

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// files lists the regular files under the store's root, relative to it.
func files(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(s.root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			rel, _ := filepath.Rel(s.root, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestFailedPutLeavesNothing(t *testing.T) {
	s := open(t)
	b := blobstoretest.Data(5<<20, 1)
	d := digest.FromBytes(b)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	for name, put := range map[string]func() (int64, error){
		"reader fails":   func() (int64, error) { return s.Put(t.Context(), d, -1, blobstoretest.FailAfter(b, 3<<20)) },
		"wrong digest":   func() (int64, error) { return s.Put(t.Context(), digest.FromString("x"), -1, bytes.NewReader(b)) },
		"too short":      func() (int64, error) { return s.Put(t.Context(), d, int64(len(b))+1, bytes.NewReader(b)) },
		"too long":       func() (int64, error) { return s.Put(t.Context(), d, int64(len(b))-1, bytes.NewReader(b)) },
		"cancelled":      func() (int64, error) { return s.Put(cancelled, d, int64(len(b)), bytes.NewReader(b)) },
		"invalid digest": func() (int64, error) { return s.Put(t.Context(), "sha256:../../x", -1, bytes.NewReader(b)) },
	} {
		if _, err := put(); err == nil {
			t.Fatalf("%s: Put succeeded", name)
		}
		if got := files(t, s); len(got) != 0 {
			t.Fatalf("%s: left %v", name, got)
		}
	}
}

func TestPutPath(t *testing.T) {
	s := open(t)
	d := blobstoretest.Put(t, s, []byte("hello"))
	want := filepath.Join("sha256", d.Encoded()[:2], d.Encoded())
	if got := files(t, s); len(got) != 1 || got[0] != want {
		t.Fatalf("files = %v, want [%s]", got, want)
	}
	r, _, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := r.(*os.File); !ok {
		t.Fatalf("Open returned %T, want *os.File", r)
	}
}

// Put writes an unnamed file on Linux (O_TMPFILE) and a temp file where it cannot: either
// way only the blob's name is left, a failed Put leaves nothing, and a second Put of a
// stored blob keeps the stored file (unnamed) or replaces it (temp file) with the same bytes.
func TestPutFiles(t *testing.T) {
	for _, unnamed := range []bool{true, false} {
		t.Run(fmt.Sprintf("unnamed=%v", unnamed), func(t *testing.T) {
			s := open(t)
			if unnamed && !s.unnamed {
				if runtime.GOOS == "linux" {
					t.Fatal("Open found no unnamed files on Linux")
				}
				t.Skip("no unnamed files on " + runtime.GOOS)
			}
			s.unnamed = unnamed
			b := blobstoretest.Data(3000, 3)
			d := blobstoretest.Put(t, s, b)
			want := filepath.Join("sha256", d.Encoded()[:2], d.Encoded())
			if got := files(t, s); len(got) != 1 || got[0] != want {
				t.Fatalf("files = %v, want [%s]", got, want)
			}
			before, err := os.Stat(filepath.Join(s.root, want))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(t.Context(), d, int64(len(b)), bytes.NewReader(b)); err != nil {
				t.Fatal(err)
			}
			after, err := os.Stat(filepath.Join(s.root, want))
			if err != nil {
				t.Fatal(err)
			}
			if os.SameFile(before, after) != unnamed {
				t.Errorf("second Put kept the stored file: %v, want %v", os.SameFile(before, after), unnamed)
			}
			blobstoretest.CheckBlob(t, s, d, b)
			other := blobstoretest.Data(3000, 4)
			if _, err := s.Put(t.Context(), digest.FromBytes(other), -1, blobstoretest.FailAfter(other, 1000)); err == nil {
				t.Fatal("Put from a failing reader succeeded")
			}
			if got := files(t, s); len(got) != 1 {
				t.Fatalf("after a failed Put: files = %v", got)
			}
		})
	}
}

// A session's file appears with its first Append (at offset 0), not with StartUpload, so a
// session completed by one whole-blob request never has one; a later offset still needs the
// bytes before it.
func TestSessionFileAtFirstAppend(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	uploads := filepath.Join(s.root, uploadsDir)
	id, state := blobstoretest.Start(t, s)
	if ents, _ := os.ReadDir(uploads); len(ents) != 0 {
		t.Fatalf("StartUpload made %d files", len(ents))
	}
	if _, _, err := s.Append(ctx, id, state, 5, bytes.NewReader([]byte("x")), nil); !errors.Is(err, blobstore.ErrUploadGone) {
		t.Fatalf("Append at 5 of a session never written = %v, want ErrUploadGone", err)
	}
	if n, _, err := s.Append(ctx, id, state, 0, bytes.NewReader([]byte("abc")), nil); err != nil || n != 3 {
		t.Fatalf("first Append = %d, %v", n, err)
	}
	blobstoretest.CheckUploads(t, s, map[string]int64{id: 3})
	if _, err := s.StartUpload(ctx, id); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("StartUpload of a written session = %v, want fs.ErrExist", err)
	}
	if _, _, err := s.Append(ctx, id, state, 3, bytes.NewReader([]byte("d")), nil); err != nil {
		t.Fatal(err)
	}
	blobstoretest.CheckUpload(t, s, &blobstoretest.Session{ID: id, State: state, Size: 4}, []byte("abcd"))
	if err := s.Abort(ctx, id, state); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Append(ctx, id, state, 4, bytes.NewReader([]byte("e")), nil); !errors.Is(err, blobstore.ErrUploadGone) {
		t.Fatalf("Append after Abort = %v, want ErrUploadGone", err)
	}
	blobstoretest.CheckUploads(t, s, nil)
}

func TestCommitTruncatesLonger(t *testing.T) {
	s := open(t)
	b := blobstoretest.Data(10, 2)
	id, state := blobstoretest.Start(t, s)
	if _, _, err := s.Append(t.Context(), id, state, 0, bytes.NewReader(b), nil); err != nil {
		t.Fatal(err)
	}
	d := digest.FromBytes(b[:6])
	if err := s.Commit(t.Context(), id, state, d, 6); err != nil {
		t.Fatal(err)
	}
	blobstoretest.CheckBlob(t, s, d, b[:6])
}

func TestInvalidIDs(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	d := blobstoretest.Put(t, s, []byte("x"))
	for _, id := range []string{
		"", "../" + strings.Repeat("a", 29), "../../../../../../etc/passwd",
		strings.Repeat("A", 32), strings.Repeat("a", 31), strings.Repeat("a", 33),
		strings.Repeat("a", 31) + "/", strings.Repeat("a", 30) + "..",
	} {
		if _, err := s.StartUpload(ctx, id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("StartUpload(%q) = %v", id, err)
		}
		_, _, err := s.Append(ctx, id, nil, 0, strings.NewReader("x"), nil)
		if !errors.Is(err, ErrInvalidID) || !errors.Is(err, blobstore.ErrUploadGone) {
			t.Errorf("Append(%q) = %v", id, err)
		}
		if _, err := s.ReadUpload(ctx, id, nil, 0); !errors.Is(err, blobstore.ErrUploadGone) {
			t.Errorf("ReadUpload(%q) = %v", id, err)
		}
		if err := s.Commit(ctx, id, nil, d, 1); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Commit(%q) = %v", id, err)
		}
		if err := s.Abort(ctx, id, nil); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Abort(%q) = %v", id, err)
		}
	}
	if got := files(t, s); len(got) != 1 {
		t.Fatalf("files = %v", got)
	}
}

func TestCommitWhileAppending(t *testing.T) {
	s := open(t)
	id, state := blobstoretest.Start(t, s)
	pr, pw := io.Pipe()
	done := make(chan error)
	go func() {
		_, _, err := s.Append(t.Context(), id, state, 0, pr, nil)
		done <- err
	}()
	pw.Write([]byte("abc")) // returns once Append, holding the lock, has read it
	d := digest.FromString("abc")
	if err := s.Commit(t.Context(), id, state, d, 3); !errors.Is(err, ErrBusy) {
		t.Fatalf("Commit during Append = %v, want ErrBusy", err)
	}
	if _, _, err := s.Append(t.Context(), id, state, 0, strings.NewReader("x"), nil); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Append = %v, want ErrBusy", err)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(t.Context(), id, state, d, 3); err != nil {
		t.Fatal(err)
	}
	blobstoretest.CheckBlob(t, s, d, []byte("abc"))
}

func TestWalkSkipsOtherNames(t *testing.T) {
	s := open(t)
	d := blobstoretest.Put(t, s, []byte("kept"))
	other := digest.FromString("misplaced").Encoded()
	for _, p := range []string{
		"sha256/ab/not-a-digest",
		"sha256/zz/" + other,
		"sha256/00/" + other, // a digest in the wrong fan-out folder
		"sha256/" + other,
		"md5/ab/" + other,
		"stray",
		".ingest/tmp-1",
		".uploads/" + blobstoretest.NewID(),
		".uploads/junk",
	} {
		p = filepath.Join(s.root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []digest.Digest
	if err := s.Walk(t.Context(), func(i blobstore.Info) error { got = append(got, i.Digest); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != d {
		t.Fatalf("Walk = %v, want [%s]", got, d)
	}
	n := 0
	s.WalkUploads(t.Context(), func(blobstore.UploadInfo) error { n++; return nil })
	if n != 1 {
		t.Fatalf("WalkUploads listed %d, want 1", n)
	}
}

func TestAdopt(t *testing.T) {
	s := open(t)
	b := blobstoretest.Data(3<<20, 3)
	d := digest.FromBytes(b)
	src := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(src, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Adopt(t.Context(), src, digest.FromString("other"), -1); !errors.Is(err, blobstore.ErrDigestMismatch) {
		t.Fatalf("Adopt under another digest = %v", err)
	}
	if err := s.Adopt(t.Context(), src, d, int64(len(b))+1); !errors.Is(err, blobstore.ErrSizeMismatch) {
		t.Fatalf("Adopt with another size = %v", err)
	}
	if got := files(t, s); len(got) != 0 {
		t.Fatalf("failed Adopt left %v", got)
	}
	for range 2 { // adopting a blob the store has is no error
		if err := s.Adopt(t.Context(), src, d, int64(len(b))); err != nil {
			t.Fatal(err)
		}
	}
	blobstoretest.CheckBlob(t, s, d, b)
	p, _ := s.Path(d)
	a, _ := os.Stat(src)
	c, _ := os.Stat(p)
	if !os.SameFile(a, c) {
		t.Fatal("Adopt on one file system copied instead of linking")
	}

	// The copy taken for another file system verifies the same way.
	s2 := open(t)
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := s2.adoptCopy(t.Context(), f, digest.FromString("other"), -1); !errors.Is(err, blobstore.ErrDigestMismatch) {
		t.Fatalf("adoptCopy under another digest = %v", err)
	}
	if err := s2.adoptCopy(t.Context(), f, d, int64(len(b))); err != nil {
		t.Fatal(err)
	}
	blobstoretest.CheckBlob(t, s2, d, b)
	p2, _ := s2.Path(d)
	c2, _ := os.Stat(p2)
	if os.SameFile(a, c2) {
		t.Fatal("adoptCopy linked")
	}
}

func TestSweepTemp(t *testing.T) {
	s := open(t)
	old := filepath.Join(s.root, ingestDir, tempPrefix+"old")
	fresh := filepath.Join(s.root, ingestDir, tempPrefix+"fresh")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, long, long); err != nil {
		t.Fatal(err)
	}
	n, err := s.SweepTemp(t.Context(), time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("SweepTemp = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(old); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("old temp file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("fresh temp file removed")
	}
}

// AppendUnsynced then SyncUpload (blobstore.Streamer) hold the same bytes as Append; a sync
// asked for more than the session holds means bytes were lost.
func TestStreamerAppendAndSync(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var st blobstore.Streamer = s
	id := "0123456789abcdef0123456789abcdef"
	state, err := s.StartUpload(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	n1, state, err := st.AppendUnsynced(t.Context(), id, state, 0, strings.NewReader("hello "), nil)
	if err != nil || n1 != 6 {
		t.Fatalf("append: %d %v", n1, err)
	}
	if err := st.SyncUpload(t.Context(), id, state, 6); err != nil {
		t.Fatal(err)
	}
	n2, state, err := st.AppendUnsynced(t.Context(), id, state, 6, strings.NewReader("world"), nil)
	if err != nil || n2 != 5 {
		t.Fatalf("append: %d %v", n2, err)
	}
	if err := st.SyncUpload(t.Context(), id, state, 12); !errors.Is(err, blobstore.ErrUploadGone) {
		t.Fatalf("sync past the end: %v", err)
	}
	d := digest.FromString("hello world")
	if err := s.Commit(t.Context(), id, state, d, 11); err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "hello world" {
		t.Fatalf("blob %q", b)
	}
}
