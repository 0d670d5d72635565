package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileReplaces(t *testing.T) {
	for _, durable := range []bool{true, false} {
		dir := t.TempDir()
		p := filepath.Join(dir, "index.json")
		if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := WriteFile(p, 0o644, durable, func(w io.Writer) error {
			_, err := io.WriteString(w, "new content")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != "new content" {
			t.Fatalf("durable=%v: read %q, %v", durable, b, err)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o644 {
			t.Fatalf("durable=%v: mode %v, %v; want 0644", durable, fi.Mode(), err)
		}
		onlyFile(t, dir, "index.json")
	}
}

func TestWriteFileFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "index.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("digest mismatch")
	err := WriteFile(p, 0o644, true, func(w io.Writer) error {
		io.WriteString(w, "half of the new")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("path holds %q after a failed write, want the old content", b)
	}
	onlyFile(t, dir, "index.json")
}

func TestIsTemp(t *testing.T) {
	dir := t.TempDir()
	var seen string
	WriteFile(filepath.Join(dir, "cache"), 0o600, false, func(io.Writer) error {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			seen = e.Name()
		}
		return nil
	})
	if !IsTemp(seen) {
		t.Fatalf("IsTemp(%q) = false for WriteFile's temporary file", seen)
	}
	for _, name := range []string{"cache", "a.tmp-1", ".hidden", "index.json"} {
		if IsTemp(name) {
			t.Errorf("IsTemp(%q) = true", name)
		}
	}
}

// onlyFile fails unless dir holds exactly the file name (no temporary file left).
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != name {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("folder holds %v, want only %s", names, name)
	}
}

func TestWriteData(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "oci-layout")
	if err := WriteData(p, []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Fatalf("read %q, %v", b, err)
	}
	onlyFile(t, dir, "oci-layout")
}
