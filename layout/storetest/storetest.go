// Package storetest is a shared test table for OCI-layout-like stores: any oras.Target that
// can also delete and list tags (eopack's layout.Store, oras-go's oci.Store, a client target
// over a layout) runs the same cases with Run. Tags may be any string, as in a layout's
// org.opencontainers.image.ref.name.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

// Target is what the table exercises.
type Target interface {
	oras.Target
	content.Deleter
	registry.TagLister
}

// Blob describes b as a generic blob with a sha256 digest.
func Blob(b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromBytes(b), Size: int64(len(b))}
}

// Blob512 describes b with a sha512 digest.
func Blob512(b []byte) ocispec.Descriptor {
	sum := sha512.Sum512(b)
	return ocispec.Descriptor{MediaType: "application/octet-stream",
		Digest: digest.NewDigestFromEncoded(digest.SHA512, hex.EncodeToString(sum[:])), Size: int64(len(b))}
}

// Manifest builds an image manifest with the empty config, the given layers and subject.
func Manifest(t testing.TB, artifactType string, subject *ocispec.Descriptor, layers ...ocispec.Descriptor) ([]byte, ocispec.Descriptor) {
	t.Helper()
	if layers == nil {
		layers = []ocispec.Descriptor{}
	}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType, Config: ocispec.DescriptorEmptyJSON, Layers: layers, Subject: subject,
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d := Blob(data)
	d.MediaType = ocispec.MediaTypeImageManifest
	return data, d
}

// Push pushes b as d, failing the test on error (an existing blob is fine).
func Push(t testing.TB, s content.Pusher, d ocispec.Descriptor, b []byte) {
	t.Helper()
	if err := s.Push(context.Background(), d, bytes.NewReader(b)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		t.Fatalf("push %s: %v", d.Digest, err)
	}
}

// Run runs the table against fresh targets made by newTarget.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	ctx := context.Background()
	fetch := func(t *testing.T, s Target, d ocispec.Descriptor) []byte {
		t.Helper()
		rc, err := s.Fetch(ctx, d)
		if err != nil {
			t.Fatalf("fetch %s: %v", d.Digest, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	exists := func(t *testing.T, s Target, d ocispec.Descriptor) bool {
		t.Helper()
		ok, err := s.Exists(ctx, d)
		if err != nil {
			t.Fatalf("exists %s: %v", d.Digest, err)
		}
		return ok
	}
	data := []byte("hello, earth observation")

	t.Run("blob round trip sha256 and sha512", func(t *testing.T) {
		s := newTarget(t)
		for _, d := range []ocispec.Descriptor{Blob(data), Blob512(data)} {
			if exists(t, s, d) {
				t.Fatalf("%s exists before push", d.Digest)
			}
			Push(t, s, d, data)
			if got := fetch(t, s, d); !bytes.Equal(got, data) {
				t.Fatalf("fetched %q", got)
			}
			if err := s.Push(ctx, d, bytes.NewReader(data)); !errors.Is(err, errdef.ErrAlreadyExists) {
				t.Fatalf("second push: %v, want ErrAlreadyExists", err)
			}
		}
	})

	bad := []struct {
		name string
		d    ocispec.Descriptor
		body []byte
		want error
	}{
		{"wrong digest", ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromString("other"), Size: int64(len(data))}, data, content.ErrMismatchedDigest},
		{"wrong sha512", func() ocispec.Descriptor { d := Blob512([]byte("other")); d.Size = int64(len(data)); return d }(), data, content.ErrMismatchedDigest},
		{"truncated", Blob(data), data[:5], io.ErrUnexpectedEOF},
		{"trailing data", Blob(data), append(append([]byte{}, data...), 'x'), content.ErrTrailingData},
		{"malformed digest", ocispec.Descriptor{Digest: "sha256:xyz", Size: 3}, []byte("abc"), errdef.ErrInvalidDigest},
	}
	for _, tc := range bad {
		t.Run("push rejects "+tc.name, func(t *testing.T) {
			s := newTarget(t)
			err := s.Push(ctx, tc.d, bytes.NewReader(tc.body))
			if !errors.Is(err, tc.want) {
				t.Fatalf("push: %v, want %v", err, tc.want)
			}
			if tc.d.Digest.Validate() == nil && exists(t, s, tc.d) {
				t.Fatal("blob kept after a failed push")
			}
		})
	}

	t.Run("tags resolve move untag delete", func(t *testing.T) {
		s := newTarget(t)
		layer := Blob(data)
		Push(t, s, layer, data)
		Push(t, s, ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
		m1, d1 := Manifest(t, "application/vnd.test.one", nil, layer)
		m2, d2 := Manifest(t, "application/vnd.test.two", nil)
		Push(t, s, d1, m1)
		Push(t, s, d2, m2)
		for _, tag := range []string{"v2", "eo/products:v1", "v1"} {
			if err := s.Tag(ctx, d1, tag); err != nil {
				t.Fatalf("tag %s: %v", tag, err)
			}
		}
		if err := s.Tag(ctx, d2, "v2"); err != nil { // move
			t.Fatal(err)
		}
		for ref, want := range map[string]digest.Digest{"v1": d1.Digest, "v2": d2.Digest, "eo/products:v1": d1.Digest, d2.Digest.String(): d2.Digest} {
			got, err := s.Resolve(ctx, ref)
			if err != nil || got.Digest != want {
				t.Fatalf("resolve %s: %v %v, want %s", ref, got.Digest, err, want)
			}
			if got.MediaType != ocispec.MediaTypeImageManifest {
				t.Fatalf("resolve %s: media type %q", ref, got.MediaType)
			}
		}
		var tags []string
		if err := s.Tags(ctx, "", func(ts []string) error { tags = append(tags, ts...); return nil }); err != nil {
			t.Fatal(err)
		}
		if want := []string{"eo/products:v1", "v1", "v2"}; !equal(tags, want) {
			t.Fatalf("tags %v, want %v", tags, want)
		}
		if _, err := s.Resolve(ctx, "nope"); !errors.Is(err, errdef.ErrNotFound) {
			t.Fatalf("resolve unknown tag: %v", err)
		}
		if err := s.Delete(ctx, d1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Resolve(ctx, "v1"); !errors.Is(err, errdef.ErrNotFound) {
			t.Fatalf("resolve tag of deleted manifest: %v", err)
		}
		if exists(t, s, d1) {
			t.Fatal("deleted manifest exists")
		}
		if err := s.Delete(ctx, d1); !errors.Is(err, errdef.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if got := fetch(t, s, d2); !bytes.Equal(got, m2) {
			t.Fatal("other manifest changed")
		}
	})

	t.Run("tag missing manifest", func(t *testing.T) {
		s := newTarget(t)
		_, d := Manifest(t, "", nil)
		if err := s.Tag(ctx, d, "v1"); !errors.Is(err, errdef.ErrNotFound) {
			t.Fatalf("tag: %v, want ErrNotFound", err)
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
