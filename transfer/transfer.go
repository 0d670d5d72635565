// Package transfer copies artifacts between any two targets (OCI layouts, registries) on top
// of oras-go's graph copy: every node is checked with Exists (HEAD) before it is sent, blobs
// are mounted across repositories of one registry instead of re-uploaded, referrers are
// carried with -r, and Stats counts what was sent and what was skipped for the summary line.
package transfer

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"

	eoremote "github.com/eopack/eopack/remote"
)

// Stats counts a transfer. Safe for concurrent use.
type Stats struct {
	Sent, SentBytes       atomic.Int64 // nodes copied and their bytes
	Skipped, SkippedBytes atomic.Int64 // nodes already at the destination
	Mounted, MountedBytes atomic.Int64 // blobs mounted from another repository
	Manifests             atomic.Int64 // manifests and indexes sent (not counted as blobs)

	mu   sync.Mutex
	seen map[digest.Digest]bool
}

// Reconcile counts as skipped every blob of the artifact that the copy never visited: when
// the destination already holds a manifest, oras-go skips its whole subtree without a call
// per blob.
func (s *Stats) Reconcile(blobs []ocispec.Descriptor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range blobs {
		if s.seen[b.Digest] {
			continue
		}
		if s.seen == nil {
			s.seen = map[digest.Digest]bool{}
		}
		s.seen[b.Digest] = true
		s.Skipped.Add(1)
		s.SkippedBytes.Add(b.Size)
	}
}

func (s *Stats) mark(d digest.Digest) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[digest.Digest]bool{}
	}
	if s.seen[d] {
		return false
	}
	s.seen[d] = true
	return true
}

// count adds d to the sent or skipped totals; manifests are counted apart, so "blobs"
// means content blobs (layers and configs) only.
func (s *Stats) count(d ocispec.Descriptor, skipped bool) {
	if !s.mark(d.Digest) {
		return
	}
	switch {
	case IsManifest(d.MediaType) && !skipped:
		s.Manifests.Add(1)
	case IsManifest(d.MediaType):
	case skipped:
		s.Skipped.Add(1)
		s.SkippedBytes.Add(d.Size)
	default:
		s.Sent.Add(1)
		s.SentBytes.Add(d.Size)
	}
}

// IsManifest reports whether mt is the media type of a manifest or index (OCI, Docker v2,
// the OCI artifact manifest), a node of a graph with successors rather than a blob.
func IsManifest(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex,
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json",
		"application/vnd.oci.artifact.manifest.v1+json":
		return true
	}
	return false
}

// Summary is the one-line account printed after push and cp, e.g.
// "Pushed 3 blobs (1048576 bytes), skipped 1 existing (2 bytes)".
func (s *Stats) Summary(verb string) string {
	line := fmt.Sprintf("%s %d blobs (%d bytes), skipped %d existing (%d bytes)", verb,
		s.Sent.Load(), s.SentBytes.Load(), s.Skipped.Load(), s.SkippedBytes.Load())
	if n := s.Mounted.Load(); n > 0 {
		line += fmt.Sprintf(", mounted %d (%d bytes)", n, s.MountedBytes.Load())
	}
	return line
}

// Events are optional callbacks for progress lines (ORAS's "Uploading", "Exists", …).
type Events struct {
	Start   func(ocispec.Descriptor) // about to send
	Done    func(ocispec.Descriptor) // sent
	Skipped func(ocispec.Descriptor) // already there
	Mounted func(ocispec.Descriptor) // mounted from another repository
	// Progress, when set, is asked once per content blob sent, after Start, where to count
	// its bytes as they are read from the source (nil: nowhere). Manifests, and blobs a
	// registry mounts or oras-go copies, are not counted.
	Progress func(ocispec.Descriptor) func(n int64)
}

// maxMetadataBytes bounds a manifest or index read whole during a copy.
const maxMetadataBytes = 64 << 20

// Options tune a copy. The zero value copies with oras-go's default concurrency.
type Options struct {
	// Concurrency bounds the transfers in flight (ORAS's --concurrency); with
	// SmallConcurrency above it, it bounds the large blobs only.
	Concurrency int
	// SmallConcurrency, when above Concurrency, is how many blobs smaller than
	// SmallBlobSize are in flight (their cost is round trips, not bytes).
	SmallConcurrency int
	Referrers        bool // also copy the referrers of the root, recursively (cp -r)
	Force            bool // look below manifests the destination already holds (--force)
	Events           Events
	Upload           eoremote.UploadOptions // chunked, resumable uploads of large blobs to a registry
	// Uploaded are blobs this run sent before the copy (a push that hashed files while
	// uploading them): they are not checked again, and count and show as sent, not skipped.
	Uploaded map[digest.Digest]bool
	// Present are blobs this run found at the destination just before the copy: they are
	// not checked again.
	Present map[digest.Digest]bool
	Stats   *Stats // filled when set
}

func (o *Options) graphOptions(src content.ReadOnlyStorage, dst content.Storage) oras.CopyGraphOptions {
	if o.Stats == nil {
		o.Stats = &Stats{}
	}
	st, ev := o.Stats, o.Events
	sending := &inflight{}
	from := mountSource(src, dst)
	var blobs *blobPusher // content blobs sent by us, not oras-go (blobs.go); not with mounts
	if from == "" {
		large := 0
		if o.SmallConcurrency > o.Concurrency {
			large = o.Concurrency
		}
		blobs = newBlobPusher(src, dst, large, o.Upload)
		blobs.progress = ev.Progress
	}
	sent := func(d ocispec.Descriptor) {
		sending.done(d.Digest)
		st.count(d, false)
		if ev.Done != nil {
			ev.Done(d)
		}
	}
	g := oras.CopyGraphOptions{
		Concurrency: o.Concurrency,
		// manifests are read whole; oras-go's default (4 MiB) would refuse a layout's larger ones
		MaxMetadataBytes: maxMetadataBytes,
		PreCopy: func(ctx context.Context, d ocispec.Descriptor) error {
			if err := sending.claim(ctx, d.Digest); err != nil {
				return err
			}
			if ev.Start != nil {
				ev.Start(d)
			}
			if blobs == nil || IsManifest(d.MediaType) {
				return nil
			}
			if err := blobs.push(ctx, d); err != nil {
				return err
			}
			sent(d)
			return oras.SkipNode
		},
		PostCopy: func(_ context.Context, d ocispec.Descriptor) error {
			sent(d)
			return nil
		},
		OnCopySkipped: func(_ context.Context, d ocispec.Descriptor) error {
			if o.Uploaded[d.Digest] { // its lines were shown as it was uploaded
				st.count(d, false)
				return nil
			}
			st.count(d, true)
			if ev.Skipped != nil {
				ev.Skipped(d)
			}
			return nil
		},
		OnMounted: func(_ context.Context, d ocispec.Descriptor) error {
			if st.mark(d.Digest) { // one blob named twice may be mounted twice: count it once
				st.Mounted.Add(1)
				st.MountedBytes.Add(d.Size)
			}
			if ev.Mounted != nil {
				ev.Mounted(d)
			}
			return nil
		},
	}
	if blobs != nil && o.SmallConcurrency > o.Concurrency {
		g.Concurrency = o.SmallConcurrency
	}
	if from != "" {
		g.MountFrom = func(context.Context, ocispec.Descriptor) ([]string, error) { return []string{from}, nil }
	}
	return g
}

// mountSource is the source repository name when src and dst are two repositories of the
// same registry, so blobs can be mounted (POST ?mount=&from=) instead of uploaded.
func mountSource(src content.ReadOnlyStorage, dst content.Storage) string {
	s, ok1 := src.(*remote.Repository)
	d, ok2 := dst.(*remote.Repository)
	if !ok1 || !ok2 || s.Reference.Registry != d.Reference.Registry || s.Reference.Repository == d.Reference.Repository {
		return ""
	}
	return s.Reference.Repository
}

// Copy copies the artifact srcRef of src (and everything it references) to dst, tagging it
// dstRef (a tag, or a digest to push untagged). With o.Referrers the root's referrers come
// along. It returns the root descriptor.
func Copy(ctx context.Context, src oras.ReadOnlyGraphTarget, srcRef string, dst oras.Target, dstRef string, o Options) (ocispec.Descriptor, error) {
	g := o.graphOptions(src, dst)
	dst = destination(dst, o)
	if _, err := digest.Parse(dstRef); err == nil || dstRef == "" {
		// untagged at the destination: copy the graph only (a layout would otherwise get
		// a ref.name that is a digest)
		root, err := oras.Resolve(ctx, src, srcRef, oras.DefaultResolveOptions)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		if dstRef != "" && root.Digest.String() != dstRef {
			return ocispec.Descriptor{}, fmt.Errorf("%s resolves to %s, not %s", srcRef, root.Digest, dstRef)
		}
		if o.Referrers {
			return root, oras.ExtendedCopyGraph(ctx, src, dst, root, referrersOptions(g).ExtendedCopyGraphOptions)
		}
		return root, oras.CopyGraph(ctx, src, dst, root, g)
	}
	if o.Referrers {
		return oras.ExtendedCopy(ctx, src, srcRef, dst, dstRef, referrersOptions(g))
	}
	return oras.Copy(ctx, src, srcRef, dst, dstRef, oras.CopyOptions{CopyGraphOptions: g})
}

// referrersOptions makes an extended copy follow referrers (subject links) only, not every
// index that happens to contain the root.
func referrersOptions(g oras.CopyGraphOptions) oras.ExtendedCopyOptions {
	return oras.ExtendedCopyOptions{ExtendedCopyGraphOptions: oras.ExtendedCopyGraphOptions{
		CopyGraphOptions: g,
		FindPredecessors: func(ctx context.Context, s content.ReadOnlyGraphStorage, d ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			return registry.Referrers(ctx, s, d, "")
		},
	}}
}

// CopyRoot copies the graph under root from src to dst and, when dstRef is not empty, tags
// it (pushing the root by reference where the destination can, to save a round trip).
func CopyRoot(ctx context.Context, src oras.ReadOnlyTarget, root ocispec.Descriptor, dst oras.Target, dstRef string, o Options) error {
	g := o.graphOptions(src, dst)
	dst = destination(dst, o)
	if dstRef == "" {
		return oras.CopyGraph(ctx, src, dst, root, g)
	}
	_, err := oras.Copy(ctx, src, root.Digest.String(), dst, dstRef, oras.CopyOptions{CopyGraphOptions: g})
	return err
}

// ReconcileRoot reads root (an image manifest) from src and counts its config and layers
// that the copy never visited as skipped (see Stats.Reconcile). Other roots are left alone.
func ReconcileRoot(ctx context.Context, src content.Fetcher, root ocispec.Descriptor, s *Stats) error {
	if root.MediaType != ocispec.MediaTypeImageManifest {
		return nil
	}
	b, err := content.FetchAll(ctx, src, root)
	if err != nil {
		return err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	s.Reconcile(append([]ocispec.Descriptor{m.Config}, m.Layers...))
	return nil
}
