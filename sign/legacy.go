package sign

// cosign's legacy signature and attestation tags (read only): before the bundle format, cosign
// stored signatures as the manifest tagged "sha256-<hex>.sig" (one simple-signing payload per
// layer, the signature in the layer annotation dev.cosignproject.cosign/signature) and
// attestations as "sha256-<hex>.att" (one DSSE envelope per layer).

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/errdef"
)

const (
	simpleSigningMediaType    = "application/vnd.dev.cosign.simplesigning.v1+json"
	dsseEnvelopeMediaType     = "application/vnd.dsse.envelope.v1+json"
	annotationCosignSig       = "dev.cosignproject.cosign/signature"
	annotationPredicateLegacy = "predicateType"
)

// simpleSigning is the payload of a legacy cosign signature.
type simpleSigning struct {
	Critical struct {
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}

// envelope is a DSSE envelope in its JSON form.
type envelope struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	} `json:"signatures"`
}

// pae is DSSE's pre-authentication encoding.
func pae(payloadType string, payload []byte) []byte {
	return []byte(fmt.Sprintf("DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload))
}

func (v *Verifier) verifyLegacy(ctx context.Context, t oras.ReadOnlyGraphTarget, subject ocispec.Descriptor) ([]Result, error) {
	var out []Result
	for _, kind := range []struct{ suffix, kind string }{{".sig", KindCosignSignature}, {".att", KindCosignAttestation}} {
		d, m, err := fetchManifestByTag(ctx, t, legacyTag(subject.Digest, kind.suffix))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", legacyTag(subject.Digest, kind.suffix), err)
		}
		if m == nil {
			continue
		}
		for _, l := range m.Layers {
			res := Result{Kind: kind.kind, Digest: d.Digest}
			b, err := fetchSmall(ctx, t, l)
			if err != nil {
				res.Error = err.Error()
				out = append(out, res)
				continue
			}
			switch l.MediaType {
			case simpleSigningMediaType:
				res.PredicateType = SignPredicateType
				res.Signer, err = v.verifySimpleSigning(b, l.Annotations[annotationCosignSig], subject)
			case dsseEnvelopeMediaType:
				res.PredicateType = l.Annotations[annotationPredicateLegacy]
				res.Statement, res.Signer, err = v.verifyEnvelope(b, subject)
				if res.Statement != nil {
					res.PredicateType = res.Statement.PredicateType
				}
			default:
				continue
			}
			if err != nil {
				res.Error, res.Statement = err.Error(), nil
			} else {
				res.Verified = true
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// verifySimpleSigning checks a legacy cosign signature over payload.
func (v *Verifier) verifySimpleSigning(payload []byte, sigB64 string, subject ocispec.Descriptor) (string, error) {
	var p simpleSigning
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", fmt.Errorf("simple signing payload: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return "", errors.New("no signature annotation on the layer")
	}
	name, err := v.verifyRaw(sig, payload)
	if err != nil {
		return "", err
	}
	if p.Critical.Image.DockerManifestDigest != subject.Digest.String() {
		return "", fmt.Errorf("the signed payload is about %s", p.Critical.Image.DockerManifestDigest)
	}
	return name, nil
}

// verifyEnvelope checks a DSSE envelope holding an in-toto statement about subject.
func (v *Verifier) verifyEnvelope(b []byte, subject ocispec.Descriptor) (*Statement, string, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, "", fmt.Errorf("DSSE envelope: %w", err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, "", fmt.Errorf("DSSE payload: %w", err)
	}
	msg := pae(env.PayloadType, payload)
	var lastErr error = errors.New("the envelope has no signature")
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			lastErr = err
			continue
		}
		name, err := v.verifyRaw(sig, msg)
		if err != nil {
			lastErr = err
			continue
		}
		st, err := ParseStatement(payload)
		if err != nil {
			return nil, "", err
		}
		if !st.About(subject.Digest) {
			return nil, "", fmt.Errorf("the statement is not about %s", subject.Digest)
		}
		return st, name, nil
	}
	return nil, "", lastErr
}

// verifyRaw checks sig over msg with each trusted key and returns the first that verifies.
func (v *Verifier) verifyRaw(sig, msg []byte) (string, error) {
	if len(v.Keys) == 0 {
		return "", errors.New("no trusted key")
	}
	for _, k := range v.Keys {
		sv, err := signature.LoadVerifier(k.Public, crypto.SHA256)
		if err != nil {
			continue
		}
		if sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)) == nil {
			return k.Name, nil
		}
	}
	return "", errors.New("signature does not verify with the trusted key(s)")
}

// CopyLegacyTags copies cosign's legacy "sha256-<hex>.sig" and ".att" tags of the manifest d
// (when src has them) from src to dst, as `cosign copy` does: they are tags, not referrers,
// so a copy of the referrers alone would leave them behind. It returns how many it copied.
func CopyLegacyTags(ctx context.Context, src oras.ReadOnlyTarget, dst oras.Target, d ocispec.Descriptor) (int, error) {
	n := 0
	for _, suffix := range []string{".sig", ".att"} {
		tag := legacyTag(d.Digest, suffix)
		if _, err := src.Resolve(ctx, tag); errors.Is(err, errdef.ErrNotFound) {
			continue
		} else if err != nil {
			return n, fmt.Errorf("%s: %w", tag, err)
		}
		if _, err := oras.Copy(ctx, src, tag, dst, tag, oras.DefaultCopyOptions); err != nil {
			return n, fmt.Errorf("copying %s: %w", tag, err)
		}
		n++
	}
	return n, nil
}
