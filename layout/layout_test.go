package layout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"

	"github.com/eopack/eopack/layout"
	"github.com/eopack/eopack/layout/storetest"
)

var ctx = context.Background()

func open(t *testing.T, dir string) *layout.Store {
	t.Helper()
	s, err := layout.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreTable(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Target { return open(t, t.TempDir()) })
}

func TestStoreTableWithPool(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Target {
		root := t.TempDir()
		pool, err := layout.OpenPool(filepath.Join(root, "_pool"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := layout.OpenWith(filepath.Join(root, "repo"), layout.Options{Pool: pool})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// The same table passes on oras-go's oci.Store: the table states oras-go's semantics.
func TestStoreTableOrasReference(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Target {
		s, err := oci.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func readIndex(t *testing.T, dir string) ocispec.Index {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestOpenCreatesLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "layout")
	open(t, dir)
	data, err := os.ReadFile(filepath.Join(dir, "oci-layout"))
	if err != nil || string(data) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Fatalf("oci-layout %q %v", data, err)
	}
	idx := readIndex(t, dir)
	if idx.SchemaVersion != 2 || idx.Manifests == nil || len(idx.Manifests) != 0 {
		t.Fatalf("index %+v", idx)
	}
	if _, err := layout.OpenWith(filepath.Join(t.TempDir(), "x"), layout.Options{NoCreate: true}); !errors.Is(err, errdef.ErrNotFound) {
		t.Fatalf("NoCreate: %v", err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "oci-layout"), []byte(`{"imageLayoutVersion":"9"}`), 0o644)
	if _, err := layout.Open(bad); !errors.Is(err, errdef.ErrUnsupportedVersion) {
		t.Fatalf("version 9: %v", err)
	}
}

// pushed manifests without a tag stay listed; tagging replaces the untagged entry; untagging
// the last tag lists the manifest untagged again.
func TestIndexKeepsUntaggedManifests(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	storetest.Push(t, s, ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
	m, d := storetest.Manifest(t, "application/vnd.test", nil)
	storetest.Push(t, s, d, m)
	idx := readIndex(t, dir)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != d.Digest || idx.Manifests[0].Annotations[ocispec.AnnotationRefName] != "" {
		t.Fatalf("after push: %+v", idx.Manifests)
	}
	s.Tag(ctx, d, "a")
	s.Tag(ctx, d, "b")
	if idx := readIndex(t, dir); len(idx.Manifests) != 2 {
		t.Fatalf("after two tags: %+v", idx.Manifests)
	}
	s.Untag(ctx, "a")
	s.Untag(ctx, "b")
	idx = readIndex(t, dir)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Annotations[ocispec.AnnotationRefName] != "" {
		t.Fatalf("after untag: %+v", idx.Manifests)
	}
	if err := s.Untag(ctx, "a"); !errors.Is(err, errdef.ErrNotFound) {
		t.Fatalf("untag unknown: %v", err)
	}
	// a second store (as another process would) sees the same state
	if got, err := open(t, dir).Resolve(ctx, d.Digest.String()); err != nil || got.Digest != d.Digest {
		t.Fatalf("reopen resolve: %v %v", got, err)
	}
}

// Two stores on one folder (separate lock file descriptions, as two processes have) and many
// goroutines tag concurrently: no tag is lost.
func TestConcurrentTaggingLosesNothing(t *testing.T) {
	dir := t.TempDir()
	a, b := open(t, dir), open(t, dir)
	storetest.Push(t, a, ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
	m, d := storetest.Manifest(t, "", nil)
	storetest.Push(t, a, d, m)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			if err := s.Tag(ctx, d, fmt.Sprintf("t%02d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var tags []string
	open(t, dir).Tags(ctx, "", func(ts []string) error { tags = ts; return nil })
	if len(tags) != 40 {
		t.Fatalf("%d tags survived, want 40: %v", len(tags), tags)
	}
	var page []string
	a.Tags(ctx, "t37", func(ts []string) error { page = ts; return nil })
	if fmt.Sprint(page) != "[t38 t39]" {
		t.Fatalf("tags after t37: %v", page)
	}
}

func TestPredecessorsAndReferrers(t *testing.T) {
	s := open(t, t.TempDir())
	layer := storetest.Blob([]byte("band B04"))
	storetest.Push(t, s, layer, []byte("band B04"))
	storetest.Push(t, s, ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
	pm, pd := storetest.Manifest(t, "application/vnd.eopack.eo.product.v1", nil, layer)
	storetest.Push(t, s, pd, pm)
	sig, sigd := storetest.Manifest(t, "application/vnd.test.sig", &pd)
	sbom, sbomd := storetest.Manifest(t, "application/vnd.test.sbom", &pd)
	storetest.Push(t, s, sigd, sig)
	storetest.Push(t, s, sbomd, sbom)

	preds, err := s.Predecessors(ctx, layer)
	if err != nil || len(preds) != 1 || preds[0].Digest != pd.Digest {
		t.Fatalf("predecessors of layer: %v %v", preds, err)
	}
	if preds, _ := s.Predecessors(ctx, pd); len(preds) != 2 {
		t.Fatalf("predecessors of product: %v", preds)
	}
	refs, err := s.Referrers(ctx, pd.Digest, "")
	if err != nil || len(refs) != 2 {
		t.Fatalf("referrers: %v %v", refs, err)
	}
	refs, _ = s.Referrers(ctx, pd.Digest, "application/vnd.test.sig")
	if len(refs) != 1 || refs[0].Digest != sigd.Digest || refs[0].ArtifactType != "application/vnd.test.sig" {
		t.Fatalf("filtered referrers: %+v", refs)
	}
	if refs, _ := s.Referrers(ctx, layer.Digest, ""); refs == nil || len(refs) != 0 {
		t.Fatalf("referrers of layer: %#v", refs)
	}
}

// Blobs pushed to two layouts sharing a pool are one file (one inode).
func TestPoolStoresBlobOnce(t *testing.T) {
	root := t.TempDir()
	pool, _ := layout.OpenPool(filepath.Join(root, "_pool"))
	a, _ := layout.OpenWith(filepath.Join(root, "a"), layout.Options{Pool: pool})
	b, _ := layout.OpenWith(filepath.Join(root, "b"), layout.Options{Pool: pool})
	data := bytes.Repeat([]byte("x"), 1000)
	d := storetest.Blob(data)
	storetest.Push(t, a, d, data)
	if err := b.Mount(ctx, d.Digest); err != nil {
		t.Fatal(err)
	}
	ia, _ := os.Stat(a.BlobPath(d.Digest))
	ib, _ := os.Stat(b.BlobPath(d.Digest))
	if !os.SameFile(ia, ib) || ib.Sys().(*syscall.Stat_t).Nlink != 3 {
		t.Fatalf("not one file: %v", ib.Sys())
	}
	if err := b.Mount(ctx, storetest.Blob([]byte("nope")).Digest); !errors.Is(err, errdef.ErrNotFound) {
		t.Fatalf("mount unknown: %v", err)
	}
	a.Delete(ctx, d)
	b.Delete(ctx, d)
	if n, err := pool.Sweep(0); err != nil || n != 1 || pool.Has(d.Digest) {
		t.Fatalf("sweep removed %d (%v), pool has blob: %v", n, err, pool.Has(d.Digest))
	}
}

// A layout written by oras-go's oci.Store is readable here and ours is readable by it.
func TestInteropWithOrasGoLayout(t *testing.T) {
	dir := t.TempDir()
	theirs, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Push(t, theirs, ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
	m, d := storetest.Manifest(t, "application/vnd.test", nil)
	storetest.Push(t, theirs, d, m)
	if err := theirs.Tag(ctx, d, "eo/products:v1"); err != nil {
		t.Fatal(err)
	}
	ours := open(t, dir)
	got, err := ours.Resolve(ctx, "eo/products:v1")
	if err != nil || got.Digest != d.Digest {
		t.Fatalf("resolve ORAS tag: %v %v", got, err)
	}
	m2, d2 := storetest.Manifest(t, "application/vnd.test.two", nil)
	storetest.Push(t, ours, d2, m2)
	if err := ours.Tag(ctx, d2, "v2"); err != nil {
		t.Fatal(err)
	}
	theirs, err = oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"eo/products:v1", "v2"} {
		if _, err := theirs.Resolve(ctx, ref); err != nil {
			t.Fatalf("oras-go resolves %s: %v", ref, err)
		}
	}
	rc, err := theirs.Fetch(ctx, d2)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); !bytes.Equal(b, m2) {
		t.Fatal("oras-go read different bytes")
	}
}
