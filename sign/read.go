package sign

import (
	"context"
	"errors"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry"
)

// Statements returns the in-toto statements about subject of type predicateType held in its
// Sigstore bundle referrers, WITHOUT checking their signatures (for display where no key is
// given; Verifier.Verify checks them). Bundles that cannot be read, or whose statement is
// about another artifact, are left out.
func Statements(ctx context.Context, t oras.ReadOnlyGraphTarget, subject ocispec.Descriptor, predicateType string) ([]*Statement, error) {
	refs, err := registry.Referrers(ctx, t, subject, "")
	if err != nil {
		return nil, err
	}
	var out []*Statement
	for _, r := range refs {
		if !strings.HasPrefix(r.ArtifactType, "application/vnd.dev.sigstore.bundle") {
			continue
		}
		if pt, ok := r.Annotations[AnnotationBundlePredicateType]; ok && pt != predicateType {
			continue
		}
		st, err := readBundleStatement(ctx, t, r)
		if err != nil {
			continue
		}
		if st.PredicateType == predicateType && st.About(subject.Digest) {
			out = append(out, st)
		}
	}
	return out, nil
}

func readBundleStatement(ctx context.Context, t oras.ReadOnlyGraphTarget, ref ocispec.Descriptor) (*Statement, error) {
	m, err := fetchManifest(ctx, t, ref)
	if err != nil {
		return nil, err
	}
	if len(m.Layers) != 1 {
		return nil, errors.New("not one layer")
	}
	b, err := fetchSmall(ctx, t, m.Layers[0])
	if err != nil {
		return nil, err
	}
	bd, err := ParseBundle(b)
	if err != nil {
		return nil, err
	}
	env := bd.GetDsseEnvelope()
	if env == nil {
		return nil, errors.New("no DSSE envelope")
	}
	return ParseStatement(env.Payload)
}
