package transfer_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"

	"github.com/eopack/eopack/transfer"
)

// A destination that holds the manifest but lost a layer (a partly filled cache): a plain
// copy skips the whole artifact; with Force it looks below the manifest and sends the
// missing layer only.
func TestForceFillsPartialDestination(t *testing.T) {
	src, root := artifact(t, nil, "band one", "band two")
	partial := func() *memory.Store {
		dst := memory.New()
		rc, err := src.Fetch(t.Context(), root)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := content.ReadAll(rc, root)
		rc.Close()
		if err := dst.Push(t.Context(), root, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	layer := content.NewDescriptorFromBytes("image/tiff", []byte("band two"))

	dst := partial()
	var plain transfer.Stats
	if err := transfer.CopyRoot(t.Context(), src, root, dst, "", transfer.Options{Stats: &plain}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := dst.Exists(t.Context(), layer); ok {
		t.Fatal("a plain copy went below a manifest the destination holds")
	}

	dst = partial()
	var st transfer.Stats
	if err := transfer.CopyRoot(t.Context(), src, root, dst, "", transfer.Options{Force: true, Stats: &st}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := dst.Exists(t.Context(), layer); !ok {
		t.Fatal("with Force the missing layer was not sent")
	}
	if st.Sent.Load() != 3 {
		t.Fatalf("with Force %d blobs sent, want 3 (config and two layers)", st.Sent.Load())
	}
}

// countingTarget counts the Exists calls per digest.
type countingTarget struct {
	*memory.Store
	mu     sync.Mutex
	checks map[digest.Digest]int
}

func (c *countingTarget) Exists(ctx context.Context, d ocispec.Descriptor) (bool, error) {
	c.mu.Lock()
	c.checks[d.Digest]++
	c.mu.Unlock()
	return c.Store.Exists(ctx, d)
}

// Blobs the run sent or found just before the copy are not checked again: the sent one
// counts as sent, the found one as skipped; the others are checked as usual.
func TestKnownBlobsNotCheckedAgain(t *testing.T) {
	src, root := artifact(t, nil, "band one", "band two", "band three")
	one := content.NewDescriptorFromBytes("image/tiff", []byte("band one"))
	two := content.NewDescriptorFromBytes("image/tiff", []byte("band two"))
	three := content.NewDescriptorFromBytes("image/tiff", []byte("band three"))
	dst := &countingTarget{Store: memory.New(), checks: map[digest.Digest]int{}}
	for _, d := range []ocispec.Descriptor{one, two} {
		rc, _ := src.Fetch(t.Context(), d)
		if err := dst.Store.Push(t.Context(), d, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	var st transfer.Stats
	o := transfer.Options{Stats: &st, Uploaded: map[digest.Digest]bool{one.Digest: true}, Present: map[digest.Digest]bool{two.Digest: true}}
	if err := transfer.CopyRoot(t.Context(), src, root, dst, "", o); err != nil {
		t.Fatal(err)
	}
	if dst.checks[one.Digest] != 0 || dst.checks[two.Digest] != 0 || dst.checks[three.Digest] != 1 {
		t.Fatalf("checks %v: want none for the sent and found bands, one for the third", dst.checks)
	}
	if ok, _ := dst.Store.Exists(t.Context(), three); !ok {
		t.Fatal("the third band was not sent")
	}
	// sent: band one (earlier), band three, the config; skipped: band two
	if st.Sent.Load() != 3 || st.Skipped.Load() != 1 {
		t.Fatalf("sent %d, skipped %d: want 3 and 1", st.Sent.Load(), st.Skipped.Load())
	}
}
