package layout

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
)

// maxManifestSize bounds how much of a blob is read to parse it as a manifest.
const maxManifestSize = 4 << 20

// node is what the graph needs from one manifest: the descriptor a referrers list shows for
// it, its subject and the descriptors it refers to.
type node struct {
	desc       ocispec.Descriptor // mediaType, digest, size, artifactType, annotations
	subject    *ocispec.Descriptor
	successors []ocispec.Descriptor
}

// manifestFields covers image manifests, image indexes and their Docker counterparts.
type manifestFields struct {
	MediaType    string               `json:"mediaType"`
	ArtifactType string               `json:"artifactType"`
	Config       *ocispec.Descriptor  `json:"config"`
	Layers       []ocispec.Descriptor `json:"layers"`
	Manifests    []ocispec.Descriptor `json:"manifests"`
	Subject      *ocispec.Descriptor  `json:"subject"`
	Annotations  map[string]string    `json:"annotations"`
}

// ParseNode reads the graph fields of manifest data; mediaType, if empty, is taken from data.
func parseNode(d ocispec.Descriptor, data []byte) (*node, error) {
	var m manifestFields
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	mt := d.MediaType
	if mt == "" {
		mt = m.MediaType
	}
	n := &node{
		desc: ocispec.Descriptor{
			MediaType: mt, Digest: d.Digest, Size: int64(len(data)),
			ArtifactType: m.ArtifactType, Annotations: m.Annotations,
		},
		subject: m.Subject,
	}
	if n.desc.ArtifactType == "" && m.Config != nil && mt == ocispec.MediaTypeImageManifest {
		n.desc.ArtifactType = m.Config.MediaType
	}
	if m.Config != nil {
		n.successors = append(n.successors, *m.Config)
	}
	n.successors = append(n.successors, m.Layers...)
	n.successors = append(n.successors, m.Manifests...)
	if m.Subject != nil {
		n.successors = append(n.successors, *m.Subject)
	}
	return n, nil
}

// node returns the parsed manifest d, from the cache or from its blob.
func (s *Store) node(d ocispec.Descriptor) (*node, error) {
	s.mu.Lock()
	n, ok := s.nodes[d.Digest]
	s.mu.Unlock()
	if ok {
		return n, nil
	}
	rc, err := s.Fetch(context.Background(), d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxManifestSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("%s: larger than %d bytes: %w", d.Digest, maxManifestSize, errdef.ErrSizeExceedsLimit)
	}
	n, err = parseNode(d, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Digest, err)
	}
	s.mu.Lock()
	s.nodes[d.Digest] = n
	s.mu.Unlock()
	return n, nil
}

// listedNodes returns the parsed manifests listed in index.json, each once.
func (s *Store) listedNodes() ([]*node, error) {
	entries, err := s.index()
	if err != nil {
		return nil, err
	}
	seen := map[digest.Digest]bool{}
	var nodes []*node
	for _, e := range entries {
		if seen[e.Digest] {
			continue
		}
		seen[e.Digest] = true
		n, err := s.node(e)
		if err != nil {
			continue // a listed manifest whose blob is missing or unreadable refers to nothing
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// Predecessors returns the manifests that refer to d, as subject, config, layer or child.
func (s *Store) Predecessors(ctx context.Context, d ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	nodes, err := s.listedNodes()
	if err != nil {
		return nil, err
	}
	var out []ocispec.Descriptor
	for _, n := range nodes {
		for _, succ := range n.successors {
			if succ.Digest == d.Digest {
				out = append(out, n.desc)
				break
			}
		}
	}
	return out, nil
}

// Referrers returns the manifests whose subject is d, as the descriptors of a referrers
// index (artifactType, annotations), keeping only those of artifactType if it is not empty.
func (s *Store) Referrers(ctx context.Context, d digest.Digest, artifactType string) ([]ocispec.Descriptor, error) {
	nodes, err := s.listedNodes()
	if err != nil {
		return nil, err
	}
	out := []ocispec.Descriptor{}
	for _, n := range nodes {
		if n.subject != nil && n.subject.Digest == d && (artifactType == "" || n.desc.ArtifactType == artifactType) {
			out = append(out, n.desc)
		}
	}
	return out, nil
}
