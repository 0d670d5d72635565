package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
)

// NotationArtifactType is the artifactType of a Notary Project signature manifest.
const NotationArtifactType = "application/vnd.cncf.notary.signature"

var errNotation = errors.New("Notary Project signatures are not supported yet")

// SignNotation signs subject in the Notary Project format.
func SignNotation(ctx context.Context, t oras.Target, subject ocispec.Descriptor, key *ecdsa.PrivateKey, chainFile string) (ocispec.Descriptor, error) {
	return ocispec.Descriptor{}, errNotation
}

type notationVerifier struct{ roots []*x509.Certificate }

// NewNotationVerifier verifies Notary Project signatures whose chain ends in one of roots.
func NewNotationVerifier(roots []*x509.Certificate) NotationVerifier {
	return &notationVerifier{roots: roots}
}

func (n *notationVerifier) VerifyNotation(ctx context.Context, t oras.ReadOnlyGraphTarget, repo string, subject, sig ocispec.Descriptor) (string, error) {
	return "", errNotation
}
