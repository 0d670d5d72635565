package lineage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/eopack/eopack/sign"
)

// ErrCycle is returned when a product is, through its attestations, its own input.
var ErrCycle = errors.New("lineage cycle")

// Node is a product in a lineage tree.
type Node struct {
	Repository string        `json:"repository"` // host/name
	Digest     digest.Digest `json:"digest"`
	// Processor made the product (nil: no provenance of eopack's build type).
	Processor *Processor `json:"processor,omitempty"`
	// Attested says a provenance attestation was found (and, with a verifier, verified).
	Attested bool    `json:"attested"`
	Inputs   []*Node `json:"inputs,omitempty"`
}

// Reference is host/name@digest.
func (n *Node) Reference() string { return n.Repository + "@" + n.Digest.String() }

// Opener opens the repository (host/name) holding a product and resolves its digest.
type Opener func(ctx context.Context, repository string, d digest.Digest) (oras.ReadOnlyGraphTarget, ocispec.Descriptor, error)

// Walker follows provenance attestations from a product to its inputs, at any depth.
type Walker struct {
	Open Opener
	// Verifier, when set, follows only attestations that verify; with neither it nor
	// VerifierFor, attestations are read unverified.
	Verifier *sign.Verifier
	// VerifierFor, when set, gives the verifier of each repository (a trust policy's scope);
	// an error wrapping sign.ErrNotVerified (no scope) leaves that product's inputs unknown.
	VerifierFor func(repository string) (*sign.Verifier, error)
}

// Walk builds the lineage tree of the product at repository@d. A product reached again
// through its own inputs is refused with ErrCycle; one reached along two paths is read once.
func (w *Walker) Walk(ctx context.Context, repository string, d digest.Digest) (*Node, error) {
	return w.walk(ctx, repository, d, nil, map[digest.Digest]*Node{})
}

func (w *Walker) walk(ctx context.Context, repository string, d digest.Digest, path []*Node, done map[digest.Digest]*Node) (*Node, error) {
	for i, p := range path {
		if p.Digest == d {
			chain := make([]string, 0, len(path)-i+1)
			for _, q := range path[i:] {
				chain = append(chain, q.Reference())
			}
			chain = append(chain, repository+"@"+d.String())
			return nil, fmt.Errorf("%w: %s", ErrCycle, strings.Join(chain, " → "))
		}
	}
	if n, ok := done[d]; ok {
		return n, nil
	}
	t, desc, err := w.Open(ctx, repository, d)
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w", repository, d, err)
	}
	n := &Node{Repository: repository, Digest: d}
	statements, err := w.provenance(ctx, t, repository, desc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.Reference(), err)
	}
	seen := map[digest.Digest]bool{}
	var inputs []Input
	for _, st := range statements {
		proc, ins, err := ParseProvenance(st.Predicate)
		if err != nil {
			continue
		}
		n.Attested = true
		if proc != nil && n.Processor == nil {
			n.Processor = proc
		}
		for _, in := range ins {
			if !seen[in.Digest] {
				seen[in.Digest] = true
				inputs = append(inputs, in)
			}
		}
	}
	path = append(path, n)
	for _, in := range inputs {
		c, err := w.walk(ctx, in.Repository, in.Digest, path, done)
		if err != nil {
			return nil, err
		}
		n.Inputs = append(n.Inputs, c)
	}
	done[d] = n
	return n, nil
}

// provenance returns the SLSA provenance v1 statements about desc: verified ones with a
// verifier, else every one found.
func (w *Walker) provenance(ctx context.Context, t oras.ReadOnlyGraphTarget, repository string, desc ocispec.Descriptor) ([]*sign.Statement, error) {
	v := w.Verifier
	if w.VerifierFor != nil {
		var err error
		if v, err = w.VerifierFor(repository); errors.Is(err, sign.ErrNotVerified) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
	}
	if v == nil {
		return sign.Statements(ctx, t, desc, sign.SLSAProvenanceV1)
	}
	results, err := v.Verify(ctx, t, repository, desc)
	if err != nil {
		return nil, err
	}
	var out []*sign.Statement
	for _, r := range results {
		if r.Verified && r.Statement != nil && r.Statement.PredicateType == sign.SLSAProvenanceV1 {
			out = append(out, r.Statement)
		}
	}
	return out, nil
}
