package sqlite

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/eopack/eopack/metadata"
	"github.com/eopack/eopack/metadata/metadatatest"
)

func openTemp(t *testing.T) metadata.Store {
	s, err := Open(filepath.Join(t.TempDir(), "metadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	metadatatest.Run(t, openTemp)
}

// TestLock: a second Open of a database in use fails, naming it; after Close it opens.
func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metadata.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path)
	want := "metadata database " + path + " is in use by another eopack serve"
	if !errors.Is(err, ErrInUse) || err.Error() != want {
		t.Fatalf("second Open: %v, want %q", err, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s.Close()
}

// TestReopen: what was written is there after closing and opening again.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metadata.db")
	ctx := t.Context()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p := manifest("r", "latest")
	if err := s.LinkBlob(ctx, "r", p.Blobs[0], 3); err != nil {
		t.Fatal(err)
	}
	if err := s.PutManifest(ctx, p); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := s.Manifest(ctx, "r", "latest")
	if err != nil || m.Digest != p.Manifest.Digest || string(m.Body) != string(p.Manifest.Body) {
		t.Fatalf("after reopen: %+v, %v", m, err)
	}
	if size, err := s.BlobLink(ctx, "r", p.Blobs[0]); err != nil || size != 3 {
		t.Fatalf("blob link after reopen: %d, %v", size, err)
	}
}

// TestReadOnly: a read-only store reads a database another store has open and writes
// nothing.
func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metadata.db")
	ctx := t.Context()
	if _, err := OpenReadOnly(path); err == nil {
		t.Fatal("OpenReadOnly of a missing database succeeded")
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := manifest("r", "latest")
	if err := s.LinkBlob(ctx, "r", p.Blobs[0], 3); err != nil {
		t.Fatal(err)
	}
	if err := s.PutManifest(ctx, p); err != nil {
		t.Fatal(err)
	}

	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if tags, err := ro.Tags(ctx, "r", "", -1); err != nil || len(tags) != 1 {
		t.Fatalf("read-only tags: %v, %v", tags, err)
	}
	if err := ro.LinkBlob(ctx, "r", p.Blobs[0], 3); err == nil {
		t.Fatal("read-only store wrote")
	}
	// The writer goes on while the reader is open, and the reader sees it.
	if err := s.DeleteTag(ctx, "r", "latest"); err != nil {
		t.Fatal(err)
	}
	if tags, err := ro.Tags(ctx, "r", "", -1); err != nil || len(tags) != 0 {
		t.Fatalf("read-only tags after the writer deleted one: %v, %v", tags, err)
	}
}
