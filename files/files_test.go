package files

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func desc(title string, b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: MediaTypeFile, Digest: digest.FromBytes(b), Size: int64(len(b)),
		Annotations: map[string]string{ocispec.AnnotationTitle: title}}
}

func TestCheckTitle(t *testing.T) {
	good := map[string]string{"a.tif": "a.tif", "data/b.json": filepath.Join("data", "b.json"), "./c": "c", "d/./e": filepath.Join("d", "e")}
	for in, want := range good {
		got, err := CheckTitle(in)
		if err != nil || got != want {
			t.Errorf("CheckTitle(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "../../x", "/etc/x", "a/../../x", "a/..", "..", ".", "x\x00y", `..\x`} {
		if _, err := CheckTitle(bad); !errors.Is(err, ErrInvalidName) {
			t.Errorf("CheckTitle(%q) accepted (err %v)", bad, err)
		}
	}
}

func TestWriteVerifiesAndRenames(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	b := []byte("band data")
	d := desc("data/b04.tif", b)
	if err := w.Write(context.Background(), d, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "data", "b04.tif"))
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("file = %q, %v", got, err)
	}
	if ok, err := w.Present(d); !ok || err != nil {
		t.Fatalf("Present = %v, %v; want true", ok, err)
	}
	// wrong bytes for the digest: refused, nothing kept
	bad := desc("data/bad.tif", b)
	if err := w.Write(context.Background(), bad, strings.NewReader("other data")); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("wrong bytes: err = %v, want ErrDigestMismatch", err)
	}
	// too many bytes
	if err := w.Write(context.Background(), bad, strings.NewReader("band data and more")); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("long body: err = %v", err)
	}
	assertOnly(t, filepath.Join(dir, "data"), "b04.tif")
}

func TestKeepOldFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("old"), 0o644)
	w, _ := NewWriter(dir, true)
	defer w.Close()
	b := []byte("new")
	if err := w.Write(context.Background(), desc("a.txt", b), bytes.NewReader(b)); !errors.Is(err, ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(got) != "old" {
		t.Fatalf("old file replaced: %q", got)
	}
	assertOnly(t, dir, "a.txt")
}

func TestSymlinkEscapeRefused(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "evil")); err != nil {
		t.Fatal(err)
	}
	w, _ := NewWriter(dir, false)
	defer w.Close()
	b := []byte("x")
	for _, title := range []string{"evil/x", "evil/sub/x"} {
		if err := w.Write(context.Background(), desc(title, b), bytes.NewReader(b)); err == nil {
			t.Fatalf("%s: written through a symlink leaving the folder", title)
		}
	}
	assertOnly(t, outside)
}

func TestHostileTitlesRefused(t *testing.T) {
	dir := t.TempDir()
	w, _ := NewWriter(filepath.Join(dir, "out"), false)
	defer w.Close()
	b := []byte("x")
	for _, title := range []string{"../../x", "/etc/x", "a/../../x", "../x"} {
		if err := w.Write(context.Background(), desc(title, b), bytes.NewReader(b)); !errors.Is(err, ErrInvalidName) {
			t.Errorf("%q: err = %v", title, err)
		}
	}
	assertOnly(t, dir, "out")
	assertOnly(t, filepath.Join(dir, "out"))
}

func TestPackDirReproducibleAndUnpack(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("aaa"), 0o644)
	os.WriteFile(filepath.Join(src, "sub", "b.txt"), []byte("bbb"), 0o644)
	os.Symlink("a.txt", filepath.Join(src, "link"))
	epoch := time.Unix(1700000000, 0)
	b1, err := Pack(context.Background(), src, "product", "", PackOptions{ModTime: &epoch})
	if err != nil {
		t.Fatal(err)
	}
	defer b1.Close()
	os.Chtimes(filepath.Join(src, "a.txt"), time.Now(), time.Now())
	b2, err := Pack(context.Background(), src, "product", "", PackOptions{ModTime: &epoch})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if b1.Desc.Digest != b2.Desc.Digest {
		t.Fatalf("reproducible packing differs: %s vs %s", b1.Desc.Digest, b2.Desc.Digest)
	}
	if b1.Desc.Annotations[AnnotationUnpack] != "true" || b1.Desc.Annotations[AnnotationDigest] == "" || b1.Desc.MediaType != MediaTypeDir {
		t.Fatalf("annotations = %v, type %s", b1.Desc.Annotations, b1.Desc.MediaType)
	}
	out := t.TempDir()
	w, _ := NewWriter(out, false)
	defer w.Close()
	f, _ := b1.Open()
	defer f.Close()
	if err := w.Write(context.Background(), b1.Desc, f); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "product", "sub", "b.txt")); string(got) != "bbb" {
		t.Fatalf("unpacked b.txt = %q", got)
	}
	if l, _ := os.Readlink(filepath.Join(out, "product", "link")); l != "a.txt" {
		t.Fatalf("link = %q", l)
	}
	assertOnly(t, out, "product")
}

func tarGz(t *testing.T, entries ...*tar.Header) (*bytes.Buffer, digest.Digest) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, h := range entries {
		if h.Typeflag == tar.TypeReg {
			h.Size = 1
		}
		tw.WriteHeader(h)
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte("x"))
		}
	}
	tw.Close()
	var gb bytes.Buffer
	gw := gzip.NewWriter(&gb)
	io.Copy(gw, bytes.NewReader(tb.Bytes()))
	gw.Close()
	return &gb, digest.FromBytes(tb.Bytes())
}

func TestUnpackRefusesEscapes(t *testing.T) {
	cases := map[string][]*tar.Header{
		"dotdot":       {{Name: "p/../../x", Typeflag: tar.TypeReg, Mode: 0o644}},
		"other prefix": {{Name: "q/x", Typeflag: tar.TypeReg, Mode: 0o644}},
		"abs symlink":  {{Name: "p/l", Typeflag: tar.TypeSymlink, Linkname: "/etc"}},
		"up symlink":   {{Name: "p/l", Typeflag: tar.TypeSymlink, Linkname: "../../.."}},
		"through link": {{Name: "p/l", Typeflag: tar.TypeSymlink, Linkname: "."}, {Name: "p/l/../../x", Typeflag: tar.TypeReg, Mode: 0o644}},
		"hardlink":     {{Name: "p/h", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			out := filepath.Join(root, "out")
			gz, tarDigest := tarGz(t, entries...)
			d := ocispec.Descriptor{MediaType: MediaTypeDir, Digest: digest.FromBytes(gz.Bytes()), Size: int64(gz.Len()),
				Annotations: map[string]string{ocispec.AnnotationTitle: "p", AnnotationUnpack: "true", AnnotationDigest: tarDigest.String()}}
			w, _ := NewWriter(out, false)
			defer w.Close()
			if err := w.Write(context.Background(), d, gz); err == nil {
				t.Fatal("hostile tar accepted")
			}
			assertOnly(t, root, "out")
			assertOnly(t, out)
		})
	}
}

// assertOnly fails unless dir holds exactly names (no temp files left behind).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
}

func TestTeeCopy(t *testing.T) {
	src := bytes.Repeat([]byte("0123456789"), 500000) // 5 MB: several buffers
	var dst bytes.Buffer
	v := digest.FromBytes(src).Verifier()
	n, err := teeCopy(&dst, v, bytes.NewReader(src))
	if err != nil || n != int64(len(src)) || !bytes.Equal(dst.Bytes(), src) || !v.Verified() {
		t.Fatalf("n=%d err=%v verified=%v", n, err, v.Verified())
	}
}

// A packed folder that replaces a folder files were written into: files written after it
// land in the new folder, not in the one it replaced.
func TestFolderReplacedDuringPull(t *testing.T) {
	out := t.TempDir()
	w, _ := NewWriter(out, false)
	defer w.Close()
	ctx := context.Background()
	write := func(title string, b []byte) {
		t.Helper()
		if err := w.Write(ctx, desc(title, b), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	write("p/a", []byte("a"))
	write("p/q/a", []byte("a"))
	gz, tarDigest := tarGz(t, &tar.Header{Name: "p/b", Typeflag: tar.TypeReg, Mode: 0o644},
		&tar.Header{Name: "p/q", Typeflag: tar.TypeDir, Mode: 0o755})
	d := ocispec.Descriptor{MediaType: MediaTypeDir, Digest: digest.FromBytes(gz.Bytes()), Size: int64(gz.Len()),
		Annotations: map[string]string{ocispec.AnnotationTitle: "p", AnnotationUnpack: "true", AnnotationDigest: tarDigest.String()}}
	if err := w.Write(ctx, d, gz); err != nil {
		t.Fatal(err)
	}
	write("p/c", []byte("c"))
	write("p/q/c", []byte("c"))
	assertOnly(t, out, "p")
	assertOnly(t, filepath.Join(out, "p"), "b", "c", "q")
	assertOnly(t, filepath.Join(out, "p", "q"), "c")
}
