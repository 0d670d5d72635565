package sign

import (
	"context"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry"
)

// ErrNotVerified is wrapped when no signature of an artifact verifies, or a required
// attestation is missing.
var ErrNotVerified = errors.New("verification failed")

// Kinds of signature a Result describes.
const (
	KindBundle            = "sigstore-bundle"    // a Sigstore bundle referrer (eopack, cosign v3)
	KindCosignSignature   = "cosign-signature"   // cosign's legacy "sha256-<hex>.sig" tag
	KindCosignAttestation = "cosign-attestation" // cosign's legacy "sha256-<hex>.att" tag
	KindNotation          = "notation"           // a Notary Project signature referrer
)

// Key is a trusted public key; Name (a file name) identifies it in results.
type Key struct {
	Name   string
	Public crypto.PublicKey
}

// Result is one signature or attestation found on an artifact.
type Result struct {
	Kind          string        `json:"kind"`
	Digest        digest.Digest `json:"digest"` // the manifest that holds it
	PredicateType string        `json:"predicateType,omitempty"`
	Verified      bool          `json:"verified"`
	Signer        string        `json:"signer,omitempty"` // the key or certificate that verified it
	Error         string        `json:"error,omitempty"`
	// Statement is the in-toto statement of a verified attestation (nil otherwise).
	Statement *Statement `json:"-"`
}

// Verifier checks the signatures of artifacts against trusted keys and certificates.
type Verifier struct {
	Keys []Key
	// Notation verifies Notary Project signatures; nil: they are listed, never verified.
	Notation NotationVerifier
}

// NotationVerifier verifies one Notary Project signature manifest of subject in repo
// (host/repository) and returns who signed it.
type NotationVerifier interface {
	VerifyNotation(ctx context.Context, t oras.ReadOnlyGraphTarget, repo string, subject, sig ocispec.Descriptor) (signer string, err error)
}

// Verify finds every signature and attestation of subject in t (bundle and Notary referrers,
// cosign's legacy tags) and checks each. repo is the artifact's repository path (host/name),
// used by Notary trust policies. Results are in the order found; an error is returned only
// when the target cannot be read.
func (v *Verifier) Verify(ctx context.Context, t oras.ReadOnlyGraphTarget, repo string, subject ocispec.Descriptor) ([]Result, error) {
	refs, err := registry.Referrers(ctx, t, subject, "")
	if err != nil {
		return nil, fmt.Errorf("listing referrers: %w", err)
	}
	var out []Result
	for _, r := range refs {
		switch {
		case strings.HasPrefix(r.ArtifactType, "application/vnd.dev.sigstore.bundle"):
			out = append(out, v.verifyBundleReferrer(ctx, t, subject, r))
		case r.ArtifactType == NotationArtifactType:
			res := Result{Kind: KindNotation, Digest: r.Digest}
			if v.Notation == nil {
				res.Error = "no certificate trusted for Notary Project signatures"
			} else if signer, err := v.Notation.VerifyNotation(ctx, t, repo, subject, r); err != nil {
				res.Error = err.Error()
			} else {
				res.Verified, res.Signer = true, signer
			}
			out = append(out, res)
		}
	}
	legacy, err := v.verifyLegacy(ctx, t, subject)
	if err != nil {
		return nil, err
	}
	return append(out, legacy...), nil
}

func (v *Verifier) verifyBundleReferrer(ctx context.Context, t oras.ReadOnlyGraphTarget, subject, ref ocispec.Descriptor) Result {
	res := Result{Kind: KindBundle, Digest: ref.Digest, PredicateType: ref.Annotations[AnnotationBundlePredicateType]}
	m, err := fetchManifest(ctx, t, ref)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if res.PredicateType == "" {
		res.PredicateType = m.Annotations[AnnotationBundlePredicateType]
	}
	if len(m.Layers) != 1 {
		res.Error = fmt.Sprintf("a bundle referrer holds one layer, this one %d", len(m.Layers))
		return res
	}
	b, err := fetchSmall(ctx, t, m.Layers[0])
	if err != nil {
		res.Error = err.Error()
		return res
	}
	st, signer, err := v.VerifyBundle(b, subject.Digest)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Verified, res.Signer, res.Statement, res.PredicateType = true, signer, st, st.PredicateType
	return res
}

// VerifyBundle checks a Sigstore bundle (JSON) against the trusted keys: its DSSE envelope
// must be signed by one of them, with no transparency log or timestamp required, and its
// in-toto statement must name the manifest d. It returns the statement and the key's name.
func (v *Verifier) VerifyBundle(bundleJSON []byte, d digest.Digest) (*Statement, string, error) {
	b, err := ParseBundle(bundleJSON)
	if err != nil {
		return nil, "", err
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, "", errors.New("the bundle holds no DSSE envelope")
	}
	if env.PayloadType != InTotoPayloadType {
		return nil, "", fmt.Errorf("DSSE payload type %q, want %s", env.PayloadType, InTotoPayloadType)
	}
	raw, err := hexDigest(d)
	if err != nil {
		return nil, "", err
	}
	if len(v.Keys) == 0 {
		return nil, "", errors.New("no trusted key")
	}
	var lastErr error
	for _, k := range v.Keys {
		sv, err := signature.LoadVerifier(k.Public, crypto.SHA256)
		if err != nil {
			lastErr = fmt.Errorf("%s: %w", k.Name, err)
			continue
		}
		key := root.NewExpiringKey(sv, time.Time{}, time.Time{})
		tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
		ver, err := verify.NewVerifier(tm, verify.WithNoObserverTimestamps())
		if err != nil {
			return nil, "", err
		}
		if _, err := ver.Verify(b, verify.NewPolicy(verify.WithArtifactDigest(d.Algorithm().String(), raw), verify.WithKey())); err != nil {
			lastErr = err
			continue
		}
		st, err := ParseStatement(env.Payload)
		if err != nil {
			return nil, "", err
		}
		if !st.About(d) {
			return nil, "", fmt.Errorf("the statement is not about %s", d)
		}
		return st, k.Name, nil
	}
	return nil, "", explainVerifyError(lastErr)
}

// explainVerifyError turns the verifier's messages into one short line that says what failed.
func explainVerifyError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "could not verify envelope"), strings.Contains(msg, "invalid signature"):
		return errors.New("signature does not verify with the trusted key(s)")
	case strings.Contains(msg, "provided artifact digests do not match"):
		return errors.New("the signed statement is about another artifact")
	}
	return err
}

func hexDigest(d digest.Digest) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return hex.DecodeString(d.Encoded())
}

// Summary says whether results pass: at least one verified signature (or attestation), and a
// verified attestation of every required predicate type.
func Summary(results []Result, requiredPredicates []string) error {
	verified := 0
	have := map[string]bool{}
	for _, r := range results {
		if r.Verified {
			verified++
			have[r.PredicateType] = true
		}
	}
	if verified == 0 {
		if len(results) == 0 {
			return fmt.Errorf("no signature found: %w", ErrNotVerified)
		}
		return fmt.Errorf("none of the %d signature(s) found verifies: %w", len(results), ErrNotVerified)
	}
	for _, p := range requiredPredicates {
		if !have[p] {
			return fmt.Errorf("no verified attestation of type %s: %w", p, ErrNotVerified)
		}
	}
	return nil
}
