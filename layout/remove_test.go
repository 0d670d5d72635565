package layout_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/layout"
)

func TestRemoveIfEmpty(t *testing.T) {
	blob := []byte("band")
	bd := ocispec.Descriptor{MediaType: "image/tiff", Digest: digest.FromBytes(blob), Size: int64(len(blob))}
	man := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`)
	md := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(man), Size: int64(len(man))}

	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, s *layout.Store)
		gone  bool
	}{
		{"fresh layout", func(*testing.T, *layout.Store) {}, true},
		{"everything deleted", func(t *testing.T, s *layout.Store) {
			must(t, s.Push(ctx, bd, bytes.NewReader(blob)))
			must(t, s.Push(ctx, md, bytes.NewReader(man)))
			must(t, s.Delete(ctx, md))
			must(t, s.Delete(ctx, bd))
		}, true},
		{"a blob left", func(t *testing.T, s *layout.Store) {
			must(t, s.Push(ctx, bd, bytes.NewReader(blob)))
		}, false},
		{"a manifest listed whose blob is gone", func(t *testing.T, s *layout.Store) {
			must(t, s.Push(ctx, md, bytes.NewReader(man)))
			must(t, os.Remove(s.BlobPath(md.Digest)))
		}, false},
		{"a child layout", func(t *testing.T, s *layout.Store) {
			open(t, filepath.Join(s.Root(), "products"))
		}, false},
		{"a foreign file", func(t *testing.T, s *layout.Store) {
			must(t, os.WriteFile(filepath.Join(s.Root(), "README"), nil, 0o644))
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			tc.setup(t, open(t, dir))
			gone, err := layout.RemoveIfEmpty(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(dir)
			if gone != tc.gone || os.IsNotExist(statErr) != tc.gone {
				t.Fatalf("RemoveIfEmpty = %v (folder exists: %v), want gone=%v", gone, statErr == nil, tc.gone)
			}
			if !tc.gone && !layout.IsLayout(dir) {
				t.Fatal("a kept layout lost its oci-layout file")
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
