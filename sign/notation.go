package sign

// Notary Project signatures through notation-go, the library the notation CLI runs: signing
// with a key and its x509 certificate chain (a JWS envelope pushed as a referrer of the
// manifest), and verifying one signature manifest against trusted root certificates.

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/notaryproject/notation-core-go/signature/jws"
	"github.com/notaryproject/notation-go"
	notationreg "github.com/notaryproject/notation-go/registry"
	"github.com/notaryproject/notation-go/signer"
	"github.com/notaryproject/notation-go/verifier"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
)

// NotationArtifactType is the artifactType of a Notary Project signature manifest.
const NotationArtifactType = "application/vnd.cncf.notary.signature"

// SignNotation signs subject with key and the certificate chain in chainFile (PEM, leaf
// first) as a Notary Project JWS signature, pushed as a referrer of subject in t.
func SignNotation(ctx context.Context, t oras.GraphTarget, subject ocispec.Descriptor, key crypto.Signer, chainFile string) (ocispec.Descriptor, error) {
	certs, err := LoadCertificates(chainFile)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	s, err := signer.NewGenericSigner(key, certs)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("notation signer: %w", err)
	}
	repo := notationreg.NewRepository(t)
	// notation.Sign pushes the signature; the manifest it made is found among the referrers.
	before, err := notationSignatures(ctx, repo, subject)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	opts := notation.SignOptions{
		SignerSignOptions: notation.SignerSignOptions{SignatureMediaType: jws.MediaTypeEnvelope},
		ArtifactReference: subject.Digest.String(),
	}
	if _, err := notation.Sign(ctx, s, repo, opts); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("notation sign: %w", err)
	}
	after, err := notationSignatures(ctx, repo, subject)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	for _, d := range after {
		if !containsDigest(before, d) {
			return d, nil
		}
	}
	return ocispec.Descriptor{}, errors.New("notation sign: the signature was not found after pushing it")
}

func notationSignatures(ctx context.Context, repo notationreg.Repository, subject ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	err := repo.ListSignatures(ctx, subject, func(ds []ocispec.Descriptor) error {
		out = append(out, ds...)
		return nil
	})
	return out, err
}

func containsDigest(ds []ocispec.Descriptor, d ocispec.Descriptor) bool {
	for _, x := range ds {
		if x.Digest == d.Digest {
			return true
		}
	}
	return false
}

// notationVerifier checks Notary Project signatures against trusted root certificates, with
// notation's "strict" level except revocation, which is not checked (no network).
type notationVerifier struct {
	roots []*x509.Certificate
}

// NewNotationVerifier verifies Notary Project signatures whose chain ends in one of roots.
func NewNotationVerifier(roots []*x509.Certificate) NotationVerifier {
	return &notationVerifier{roots: roots}
}

// trustStoreName is the one trust store of the policy notationVerifier builds.
const trustStoreName = "eopack"

func (n *notationVerifier) GetCertificates(_ context.Context, typ truststore.Type, name string) ([]*x509.Certificate, error) {
	if typ != truststore.TypeCA || name != trustStoreName {
		return nil, fmt.Errorf("no trust store %s:%s", typ, name)
	}
	return n.roots, nil
}

func (n *notationVerifier) VerifyNotation(ctx context.Context, t oras.ReadOnlyGraphTarget, repo string, subject, sig ocispec.Descriptor) (string, error) {
	m, err := fetchManifest(ctx, t, sig)
	if err != nil {
		return "", err
	}
	if len(m.Layers) != 1 {
		return "", fmt.Errorf("a Notary Project signature holds one layer, this one %d", len(m.Layers))
	}
	envelope, err := fetchSmall(ctx, t, m.Layers[0])
	if err != nil {
		return "", err
	}
	doc := &trustpolicy.Document{
		Version: "1.0",
		TrustPolicies: []trustpolicy.TrustPolicy{{
			Name:           "eopack",
			RegistryScopes: []string{"*"},
			SignatureVerification: trustpolicy.SignatureVerification{
				VerificationLevel: trustpolicy.LevelStrict.Name,
				Override:          map[trustpolicy.ValidationType]trustpolicy.ValidationAction{trustpolicy.TypeRevocation: trustpolicy.ActionSkip},
			},
			TrustStores:       []string{string(truststore.TypeCA) + ":" + trustStoreName},
			TrustedIdentities: []string{"*"},
		}},
	}
	v, err := verifier.New(doc, n, nil)
	if err != nil {
		return "", err
	}
	outcome, err := v.Verify(ctx, subject, envelope, notation.VerifierVerifyOptions{
		ArtifactReference:  notationReference(repo) + "@" + subject.Digest.String(),
		SignatureMediaType: m.Layers[0].MediaType,
	})
	if err != nil {
		return "", err
	}
	if outcome.Error != nil {
		return "", outcome.Error
	}
	chain := outcome.EnvelopeContent.SignerInfo.CertificateChain
	if len(chain) == 0 {
		return "", errors.New("the signature carries no certificate")
	}
	return chain[0].Subject.String(), nil
}

// notationReference is repo when it is a registry repository, else a stand-in that
// notation's trust policy accepts (an OCI layout folder has no registry scope).
func notationReference(repo string) string {
	host, _, ok := strings.Cut(repo, "/")
	if ok && !strings.HasPrefix(repo, "/") && !strings.HasPrefix(repo, ".") && (strings.ContainsAny(host, ".:") || host == "localhost") {
		return repo
	}
	return "localhost/oci-layout"
}
