package target

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry"

	"github.com/eopack/eopack/layout"
)

// tarFixture is an artifact (two files, one of 1 MiB) tagged "v1" and "eo/products:v1", with
// a referrer, in a layout written by one of two writers, then archived with `tar cf`.
type tarFixture struct {
	tar          string
	root         ocispec.Descriptor
	referrer     ocispec.Descriptor
	files        map[digest.Digest][]byte
	layoutFolder string
}

// writers are the two ways a layout to archive is written: oras-go's oci.Store (what the
// ORAS CLI writes with --oci-layout) and eopack's layout.Store (what `eopack cp
// --to-oci-layout` writes).
var writers = map[string]func(t *testing.T, dir string) oras.Target{
	"oras-go oci.Store": func(t *testing.T, dir string) oras.Target {
		s, err := oci.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	},
	"eopack layout.Store": func(t *testing.T, dir string) oras.Target {
		s, err := layout.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	},
}

func newTarFixture(t *testing.T, write func(*testing.T, string) oras.Target) tarFixture {
	t.Helper()
	ctx := context.Background()
	mem := memory.New()
	big := make([]byte, 1<<20)
	rand.Read(big)
	f := tarFixture{files: map[digest.Digest][]byte{}}
	var layers []ocispec.Descriptor
	for name, b := range map[string][]byte{"B04.tif": big, "item.json": []byte(`{"type":"Feature"}`)} {
		d := content.NewDescriptorFromBytes("application/octet-stream", b)
		d.Annotations = map[string]string{ocispec.AnnotationTitle: name}
		if err := mem.Push(ctx, d, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		layers = append(layers, d)
		f.files[d.Digest] = b
	}
	var err error
	f.root, err = oras.PackManifest(ctx, mem, oras.PackManifestVersion1_1, "application/vnd.eopack.test", oras.PackManifestOptions{Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	f.referrer, err = oras.PackManifest(ctx, mem, oras.PackManifestVersion1_1, "application/vnd.eopack.qa", oras.PackManifestOptions{Subject: &f.root})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []ocispec.Descriptor{f.root, f.referrer} {
		if err := mem.Tag(ctx, d, d.Digest.String()); err != nil {
			t.Fatal(err)
		}
	}
	f.layoutFolder = filepath.Join(t.TempDir(), "lay")
	dst := write(t, f.layoutFolder)
	for _, tag := range []string{"v1", "eo/products:v1"} {
		if _, err := oras.Copy(ctx, mem, f.root.Digest.String(), dst, tag, oras.DefaultCopyOptions); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := oras.Copy(ctx, mem, f.referrer.Digest.String(), dst, f.referrer.Digest.String(), oras.DefaultCopyOptions); err != nil {
		t.Fatal(err)
	}
	f.tar = filepath.Join(t.TempDir(), "lay.tar")
	if out, err := exec.Command("tar", "cf", f.tar, "-C", f.layoutFolder, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar cf: %v\n%s", err, out)
	}
	return f
}

func TestTarLayoutReads(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar command")
	}
	ctx := context.Background()
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			f := newTarFixture(t, write)
			before := dirNames(t, filepath.Dir(f.tar))
			for _, ref := range []string{f.tar + ":v1", f.tar + ":eo/products:v1", f.tar + "@" + f.root.Digest.String()} {
				r, err := ParseLayout(ref)
				if err != nil || r.Path != f.tar {
					t.Fatalf("ParseLayout(%q) = %+v, %v", ref, r, err)
				}
				tg, err := OpenExisting(ctx, r, Options{})
				if err != nil {
					t.Fatalf("OpenExisting(%s): %v", ref, err)
				}
				d, b, err := oras.FetchBytes(ctx, tg, r.Reference, oras.DefaultFetchBytesOptions)
				if err != nil || d.Digest != f.root.Digest {
					t.Fatalf("%s: FetchBytes = %s, %v; want %s", ref, d.Digest, err, f.root.Digest)
				}
				if digest.FromBytes(b) != f.root.Digest {
					t.Errorf("%s: manifest bytes do not match their digest", ref)
				}
			}
			tg, err := OpenExisting(ctx, Ref{Layout: true, Path: f.tar}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for d, want := range f.files {
				got, err := content.FetchAll(ctx, tg, ocispec.Descriptor{Digest: d, Size: int64(len(want))})
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("blob %s: %d bytes, %v; want %d bytes", d, len(got), err, len(want))
				}
			}
			var tags []string
			if err := tg.(registry.TagLister).Tags(ctx, "", func(p []string) error { tags = append(tags, p...); return nil }); err != nil {
				t.Fatal(err)
			}
			if strings.Join(tags, " ") != "eo/products:v1 v1" {
				t.Errorf("tags = %q", tags)
			}
			refs, err := registry.Referrers(ctx, tg, f.root, "")
			if err != nil || len(refs) != 1 || refs[0].Digest != f.referrer.Digest {
				t.Errorf("referrers = %v, %v; want %s", refs, err, f.referrer.Digest)
			}
			if after := dirNames(t, filepath.Dir(f.tar)); after != before {
				t.Errorf("reading the archive wrote beside it: %q, was %q", after, before)
			}
		})
	}
}

// Every write to an archive fails as ORAS's does ("mkdir <abs>: not a directory"), and the
// archive is unchanged.
func TestTarLayoutRefusesWrites(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar command")
	}
	ctx := context.Background()
	f := newTarFixture(t, writers["eopack layout.Store"])
	abs, _ := filepath.Abs(f.tar)
	sum := fileDigest(t, f.tar)
	check := func(what string, err error) {
		t.Helper()
		if err == nil || !errors.Is(err, ErrReadOnlyLayout) || !errors.Is(err, syscall.ENOTDIR) ||
			!strings.HasPrefix(err.Error(), "mkdir "+abs+": not a directory") {
			t.Errorf("%s: error %v, want ORAS's mkdir error wrapping ErrReadOnlyLayout", what, err)
		}
	}
	r := Ref{Layout: true, Path: f.tar, Reference: "v1"}
	_, err := Open(ctx, r, Options{})
	check("Open", err)
	tg, err := OpenExisting(ctx, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := []byte("new")
	check("Push", tg.Push(ctx, content.NewDescriptorFromBytes("application/octet-stream", b), bytes.NewReader(b)))
	check("Tag", tg.Tag(ctx, f.root, "v2"))
	check("Delete", tg.(content.Deleter).Delete(ctx, f.root))
	if fileDigest(t, f.tar) != sum {
		t.Error("the archive changed")
	}
}

func TestTarLayoutBadArchives(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar command")
	}
	ctx := context.Background()
	dir := t.TempDir()
	notTar := filepath.Join(dir, "notes.txt")
	os.WriteFile(notTar, []byte("hello"), 0o644)
	if _, err := OpenExisting(ctx, Ref{Layout: true, Path: notTar}, Options{}); err == nil || !strings.Contains(err.Error(), "does not look like a tar archive") {
		t.Errorf("a text file: %v", err)
	}
	// archived with the folder name in front of every entry: no oci-layout at the root
	f := newTarFixture(t, writers["oras-go oci.Store"])
	nested := filepath.Join(dir, "nested.tar")
	if out, err := exec.Command("tar", "cf", nested, "-C", filepath.Dir(f.layoutFolder), "lay").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	if _, err := OpenExisting(ctx, Ref{Layout: true, Path: nested}, Options{}); err == nil || !strings.Contains(err.Error(), "oci-layout") {
		t.Errorf("a nested archive: %v", err)
	}
	if _, err := OpenExisting(ctx, Ref{Layout: true, Path: filepath.Join(dir, "missing.tar")}, Options{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing archive: %v", err)
	}
}

// ORAS's "<path>:<tag>" reading is taken for an archive whose name holds a colon.
func TestParseLayoutTarWithColon(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x:eo.tar")
	os.WriteFile(p, nil, 0o644)
	r, err := ParseLayout(p + ":v1")
	if err != nil || r.Path != p || r.Reference != "v1" {
		t.Errorf("ParseLayout = %+v, %v; want path %s tag v1", r, err, p)
	}
}

func dirNames(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

func fileDigest(t *testing.T, p string) digest.Digest {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := digest.FromReader(io.Reader(f))
	if err != nil {
		t.Fatal(err)
	}
	return d
}
