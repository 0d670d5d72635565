package migrate_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/blobstore"
	fsstore "github.com/eopack/eopack/blobstore/fs"
	"github.com/eopack/eopack/metadata"
	"github.com/eopack/eopack/metadata/sqlite"
	"github.com/eopack/eopack/migrate"
)

// expected is testdata/v1-root.expected.json: what the v1 server served before it stopped.
type expected struct {
	Uploads      int `json:"uploads"`
	Repositories map[string]struct {
		Tags      map[string]digest.Digest `json:"tags"`
		Manifests map[digest.Digest]string `json:"manifests"` // digest → media type
		Referrers map[digest.Digest][]struct {
			Digest       digest.Digest `json:"digest"`
			ArtifactType string        `json:"artifactType"`
		} `json:"referrers"`
		Blobs map[digest.Digest]int64 `json:"blobs"`
	} `json:"repositories"`
}

func readExpected(t *testing.T) expected {
	t.Helper()
	data, err := os.ReadFile("testdata/v1-root.expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// unpack extracts the v1 fixture (hard links included) into a new temp folder.
func unpack(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	f, err := os.Open("testdata/v1-root.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return root
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeLink:
			err = os.Link(filepath.Join(root, filepath.FromSlash(h.Linkname)), path)
		case tar.TypeReg:
			var out *os.File
			if out, err = os.Create(path); err == nil {
				_, err = io.Copy(out, tr)
				out.Close()
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// stores opens the v2 stores the registry keeps beside the v1 tree in root.
func stores(t *testing.T, root string) (metadata.Store, blobstore.Store) {
	t.Helper()
	meta, err := sqlite.Open(filepath.Join(root, "_metadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	blobs, err := fsstore.Open(filepath.Join(root, "_blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return meta, blobs
}

func TestImportV1(t *testing.T) {
	ctx := context.Background()
	root := unpack(t)
	meta, blobs := stores(t, root)
	if !migrate.IsV1(root) {
		t.Fatal("IsV1 = false on the v1 fixture")
	}
	var log strings.Builder
	rep, err := migrate.ImportV1(ctx, root, meta, blobs, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	want := readExpected(t)
	if !rep.OK() || rep.Leftover != "" || rep.Sessions != want.Uploads {
		t.Fatalf("report: %+v", rep)
	}
	checkExpected(t, meta, blobs, want)
	for _, name := range []string{"_pool", "_uploads", "eo", "blobs", "scratch", migrate.LeftoverDir} {
		if _, err := os.Stat(filepath.Join(root, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after the import (%v)", name, err)
		}
	}
	if migrate.IsV1(root) {
		t.Error("IsV1 = true after the import")
	}

	rep, err = migrate.ImportV1(ctx, root, meta, blobs, nil)
	if err != nil || !reflect.DeepEqual(rep, migrate.Report{}) {
		t.Fatalf("rerun on the imported root: %+v, %v", rep, err)
	}
	checkExpected(t, meta, blobs, want)
}

// checkExpected checks every expectation through the two stores' APIs.
func checkExpected(t *testing.T, meta metadata.Store, blobs blobstore.Store, want expected) {
	t.Helper()
	ctx := context.Background()
	repos, err := meta.Repositories(ctx, "", -1)
	if err != nil {
		t.Fatal(err)
	}
	wantRepos := slices.Sorted(func(yield func(string) bool) {
		for r := range want.Repositories {
			yield(r)
		}
	})
	if !slices.Equal(repos, wantRepos) {
		t.Errorf("repositories %q, want %q", repos, wantRepos)
	}
	for name, r := range want.Repositories {
		tags, err := meta.Tags(ctx, name, "", -1)
		if err != nil {
			t.Errorf("%s tags: %v", name, err)
		}
		if len(tags) != len(r.Tags) {
			t.Errorf("%s tags %q, want %v", name, tags, r.Tags)
		}
		for tag, d := range r.Tags {
			if m, err := meta.Manifest(ctx, name, tag); err != nil || m.Digest != d {
				t.Errorf("%s:%s = %s (%v), want %s", name, tag, m.Digest, err, d)
			}
		}
		for d, mediaType := range r.Manifests {
			m, err := meta.Manifest(ctx, name, d.String())
			if err != nil {
				t.Errorf("%s@%s: %v", name, d, err)
				continue
			}
			if m.MediaType != mediaType || d.Algorithm().FromBytes(m.Body) != d {
				t.Errorf("%s@%s: media type %q, body %s", name, d, m.MediaType, d.Algorithm().FromBytes(m.Body))
			}
			refs, err := meta.Referrers(ctx, name, d, "")
			if err != nil {
				t.Errorf("%s referrers of %s: %v", name, d, err)
			}
			var got []string
			for _, x := range refs {
				got = append(got, x.Digest.String()+" "+x.ArtifactType)
			}
			var wantRefs []string
			for _, x := range r.Referrers[d] {
				wantRefs = append(wantRefs, x.Digest.String()+" "+x.ArtifactType)
			}
			if !slices.Equal(got, wantRefs) {
				t.Errorf("%s referrers of %s: %q, want %q", name, d, got, wantRefs)
			}
		}
		for d, size := range r.Blobs {
			if n, err := meta.BlobLink(ctx, name, d); err != nil || n != size {
				t.Errorf("%s blob link %s: %d, %v; want %d bytes", name, d, n, err, size)
			}
			if got := readBlob(t, blobs, d); got != d {
				t.Errorf("blob %s reads as %s", d, got)
			}
		}
	}
}

// readBlob streams blob d from the store and returns the digest of what it read.
func readBlob(t *testing.T, blobs blobstore.Store, d digest.Digest) digest.Digest {
	t.Helper()
	rc, _, err := blobs.Open(context.Background(), d)
	if err != nil {
		t.Errorf("open %s: %v", d, err)
		return ""
	}
	defer rc.Close()
	got, err := d.Algorithm().FromReader(rc)
	if err != nil {
		t.Errorf("read %s: %v", d, err)
	}
	return got
}

// TestImportV1CorruptPoolBlob appends to a pool file (as a v1 crash bug could): that blob is
// reported corrupt and not imported, the manifests that need it are skipped, everything else
// is imported, and the old tree is kept in _v1-leftover.
func TestImportV1CorruptPoolBlob(t *testing.T) {
	ctx := context.Background()
	root := unpack(t)
	meta, blobs := stores(t, root)
	want := readExpected(t)
	products := want.Repositories["eo/products"]
	bad := layers(t, root, "eo/products", products.Tags["v1"])[0]
	f, err := os.OpenFile(filepath.Join(root, "_pool", bad.Algorithm().String(), bad.Encoded()), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("appended by a crash")
	f.Close()

	rep, err := migrate.ImportV1(ctx, root, meta, blobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if len(rep.Corrupt) != 1 || rep.Corrupt[0].Digest != bad {
		t.Errorf("corrupt %v, want only %s", rep.Corrupt, bad)
	}
	if _, err := blobs.Stat(ctx, bad); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("corrupt blob in the store: %v", err)
	}
	var skipped []digest.Digest
	for _, s := range rep.Skipped {
		skipped = append(skipped, s.Digest)
	}
	for d := range products.Manifests {
		needs := slices.Contains(layers(t, root, migrate.LeftoverDir+"/eo/products", d), bad)
		_, err := meta.Manifest(ctx, "eo/products", d.String())
		if needs != slices.Contains(skipped, d) || needs != errors.Is(err, metadata.ErrManifestUnknown) {
			t.Errorf("manifest %s (needs the corrupt blob: %v): skipped %v, lookup %v", d, needs, skipped, err)
		}
	}
	if len(skipped) == 0 {
		t.Error("nothing skipped")
	}
	if m, err := meta.Manifest(ctx, "eo/multi", "v1"); err != nil || m.Digest != want.Repositories["eo/multi"].Tags["v1"] {
		t.Errorf("eo/multi:v1 not imported: %v", err)
	}
	if rep.Leftover != filepath.Join(root, migrate.LeftoverDir) || migrate.IsV1(root) {
		t.Errorf("leftover %q, IsV1 %v", rep.Leftover, migrate.IsV1(root))
	}
	for _, p := range []string{"_pool/" + bad.Algorithm().String() + "/" + bad.Encoded(), "_uploads", "eo/products/index.json", "eo/landsat/l7/oci-layout", "blobs/oci-layout"} {
		if _, err := os.Stat(filepath.Join(root, migrate.LeftoverDir, p)); err != nil {
			t.Errorf("not kept: %v", err)
		}
	}
	for _, p := range []string{"_pool", "_uploads", "eo", "blobs", "scratch"} {
		if _, err := os.Stat(filepath.Join(root, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still in the root (%v)", p, err)
		}
	}
}

// layers lists the config and layer digests of manifest d, read from repository dir's blobs.
func layers(t *testing.T, root, dir string, d digest.Digest) []digest.Digest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, dir, "blobs", d.Algorithm().String(), d.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Config *struct{ Digest digest.Digest }
		Layers []struct{ Digest digest.Digest }
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var out []digest.Digest
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	if m.Config != nil {
		out = append(out, m.Config.Digest)
	}
	return out
}

// failingMeta fails every PutManifest after the first n, as a crash midway would stop the
// import.
type failingMeta struct {
	metadata.Store
	n int
}

var errCrash = errors.New("crash")

func (f *failingMeta) PutManifest(ctx context.Context, p metadata.PutManifest) error {
	if f.n == 0 {
		return errCrash
	}
	f.n--
	return f.Store.PutManifest(ctx, p)
}

// TestImportV1Interrupted stops an import midway; the rerun gives the result of a clean run.
func TestImportV1Interrupted(t *testing.T) {
	ctx := context.Background()
	root := unpack(t)
	meta, blobs := stores(t, root)
	if _, err := migrate.ImportV1(ctx, root, &failingMeta{Store: meta, n: 5}, blobs, nil); !errors.Is(err, errCrash) {
		t.Fatalf("interrupted import: %v", err)
	}
	if !migrate.IsV1(root) {
		t.Fatal("old tree touched by an import that failed")
	}
	rep, err := migrate.ImportV1(ctx, root, meta, blobs, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("rerun: %v; %v", err, rep)
	}
	checkExpected(t, meta, blobs, readExpected(t))
	if migrate.IsV1(root) {
		t.Error("IsV1 after the rerun")
	}
}
