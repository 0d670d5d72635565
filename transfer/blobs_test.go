package transfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"

	"github.com/eopack/eopack/transfer"
)

// slowTarget is an in-memory target whose blob pushes take a while and record how many
// small and large ones were in flight at most.
type slowTarget struct {
	oras.Target
	mu                  sync.Mutex
	small, large        int
	maxSmall, maxLarge  int
	maxAll, pushedBlobs int
}

func (s *slowTarget) Push(ctx context.Context, d ocispec.Descriptor, r io.Reader) error {
	if d.MediaType == ocispec.MediaTypeImageManifest {
		return s.Target.Push(ctx, d, r)
	}
	big := d.Size >= transfer.SmallBlobSize
	s.mu.Lock()
	if big {
		s.large++
	} else {
		s.small++
	}
	s.maxSmall, s.maxLarge = max(s.maxSmall, s.small), max(s.maxLarge, s.large)
	s.maxAll = max(s.maxAll, s.small+s.large)
	s.mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	err := s.Target.Push(ctx, d, r)
	s.mu.Lock()
	if big {
		s.large--
	} else {
		s.small--
	}
	s.pushedBlobs++
	s.mu.Unlock()
	return err
}

// manyBlobs is an artifact of 40 small layers and 4 large ones.
func manyBlobs(t *testing.T) (*transfer.Source, ocispec.Descriptor) {
	t.Helper()
	src := transfer.NewSource(nil)
	var layers []ocispec.Descriptor
	add := func(b []byte) {
		d := content.NewDescriptorFromBytes("application/octet-stream", b)
		src.AddBytes(d, b)
		layers = append(layers, d)
	}
	for i := range 40 {
		add([]byte(fmt.Sprintf("small %d", i)))
	}
	for i := range 4 {
		add(bytes.Repeat([]byte{byte(i + 1)}, transfer.SmallBlobSize))
	}
	src.AddBytes(ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.DescriptorEmptyJSON, Layers: layers}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	md := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, b)
	src.AddBytes(md, b)
	return src, md
}

func TestSmallBlobsManyAtOnceLargeOnesBounded(t *testing.T) {
	for _, tc := range []struct {
		name                string
		small               int
		wantSmall, wantMost int // in flight: small blobs at least, all blobs at most
	}{
		{"adaptive", 16, 3, 16},
		{"one bound (--concurrency given)", 0, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, root := manyBlobs(t)
			dst := &slowTarget{Target: memory.New()}
			stats := &transfer.Stats{}
			err := transfer.CopyRoot(context.Background(), src, root, dst, "v1",
				transfer.Options{Concurrency: 2, SmallConcurrency: tc.small, Stats: stats})
			if err != nil {
				t.Fatal(err)
			}
			if dst.pushedBlobs != 45 || stats.Sent.Load() != 45 {
				t.Fatalf("pushed %d blobs, counted %d; want 45", dst.pushedBlobs, stats.Sent.Load())
			}
			if dst.maxLarge > 2 {
				t.Errorf("%d large blobs in flight, want at most --concurrency (2)", dst.maxLarge)
			}
			if dst.maxSmall < tc.wantSmall || dst.maxAll > tc.wantMost {
				t.Errorf("in flight: %d small at most, %d in all; want ≥ %d small, ≤ %d in all",
					dst.maxSmall, dst.maxAll, tc.wantSmall, tc.wantMost)
			}
		})
	}
}
