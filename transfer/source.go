package transfer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
)

// OpenFunc opens the bytes of a blob that lives outside memory (a local file).
type OpenFunc func(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error)

// Source is a read-only target assembled for a push: small JSON (manifest, config) held in
// memory, blobs streamed from files through Open. It resolves any digest it holds.
type Source struct {
	mu    sync.RWMutex
	mem   map[digest.Digest][]byte
	blobs map[digest.Digest]ocispec.Descriptor
	open  OpenFunc
}

// NewSource returns a Source whose file-backed blobs are read through open.
func NewSource(open OpenFunc) *Source {
	return &Source{mem: map[digest.Digest][]byte{}, blobs: map[digest.Digest]ocispec.Descriptor{}, open: open}
}

// AddBytes stores b (manifest, config) under desc.
func (s *Source) AddBytes(desc ocispec.Descriptor, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem[desc.Digest] = b
	s.blobs[desc.Digest] = desc
}

// AddBlob declares a file-backed blob.
func (s *Source) AddBlob(desc ocispec.Descriptor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[desc.Digest] = desc
}

// Fetch implements content.Fetcher.
func (s *Source) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	s.mu.RLock()
	b, inMem := s.mem[desc.Digest]
	_, known := s.blobs[desc.Digest]
	s.mu.RUnlock()
	if inMem {
		return memReader{bytes.NewReader(b)}, nil
	}
	if !known || s.open == nil {
		return nil, fmt.Errorf("%s: %w", desc.Digest, errdef.ErrNotFound)
	}
	return s.open(ctx, desc)
}

// Exists implements content.ReadOnlyStorage.
func (s *Source) Exists(_ context.Context, desc ocispec.Descriptor) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.blobs[desc.Digest]
	return ok, nil
}

// Resolve implements content.Resolver for digests the Source holds.
func (s *Source) Resolve(_ context.Context, ref string) (ocispec.Descriptor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d, ok := s.blobs[digest.Digest(ref)]; ok {
		return d, nil
	}
	return ocispec.Descriptor{}, fmt.Errorf("%s: %w", ref, errdef.ErrNotFound)
}

// memReader is bytes held in memory; as a file, it can be read at any offset, so an upload
// of it can be sent again.
type memReader struct{ *bytes.Reader }

func (memReader) Close() error { return nil }
