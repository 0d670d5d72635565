package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"
)

// Media types, annotations and predicate types of the Sigstore bundle referrers cosign v3
// writes (cosign's pkg/oci/remote WriteAttestationNewBundleFormat).
const (
	BundleMediaType               = "application/vnd.dev.sigstore.bundle.v0.3+json"
	AnnotationBundleContent       = "dev.sigstore.bundle.content"
	AnnotationBundlePredicateType = "dev.sigstore.bundle.predicateType"
	BundleContentDSSE             = "dsse-envelope"
	InTotoPayloadType             = "application/vnd.in-toto+json"
	StatementType                 = "https://in-toto.io/Statement/v1"

	// SignPredicateType is the predicate of a plain signature (cosign sign's bundle form).
	SignPredicateType = "https://sigstore.dev/cosign/sign/v1"
	// SLSAProvenanceV1 is SLSA provenance v1 (cosign's --type slsaprovenance1).
	SLSAProvenanceV1 = "https://slsa.dev/provenance/v1"
)

// predicateTypes maps cosign's --type short names to predicate type URIs; anything else
// given to --type is taken as a URI.
var predicateTypes = map[string]string{
	"slsaprovenance":   "https://slsa.dev/provenance/v0.2",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"slsaprovenance1":  SLSAProvenanceV1,
	"link":             "https://in-toto.io/Link/v1",
	"spdx":             "https://spdx.dev/Document",
	"spdxjson":         "https://spdx.dev/Document",
	"cyclonedx":        "https://cyclonedx.org/bom",
	"vuln":             "https://cosign.sigstore.dev/attestation/vuln/v1",
	"openvex":          "https://openvex.dev/ns",
	"custom":           "https://cosign.sigstore.dev/attestation/v1",
}

// PredicateType turns cosign's --type (a short name or a URI) into a predicate type URI.
func PredicateType(t string) (string, error) {
	if u, ok := predicateTypes[t]; ok {
		return u, nil
	}
	if strings.Contains(t, "://") {
		return t, nil
	}
	return "", fmt.Errorf("predicate type %q: want a URI or one of slsaprovenance1, slsaprovenance, link, spdx, spdxjson, cyclonedx, vuln, openvex, custom", t)
}

// Statement is an in-toto Statement v1.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is a statement's ResourceDescriptor: a name and digests.
type Subject struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

// NewStatement makes the statement about the manifest m (named name, may be empty) with a
// predicate (nil: {}).
func NewStatement(name string, m ocispec.Descriptor, predicateType string, predicate json.RawMessage) ([]byte, error) {
	if len(predicate) == 0 {
		predicate = json.RawMessage("{}")
	}
	if !json.Valid(predicate) {
		return nil, fmt.Errorf("predicate is not JSON")
	}
	return json.Marshal(Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: name, Digest: map[string]string{m.Digest.Algorithm().String(): m.Digest.Encoded()}}},
		PredicateType: predicateType,
		Predicate:     predicate,
	})
}

// ParseStatement reads an in-toto statement and checks its type.
func ParseStatement(b []byte) (*Statement, error) {
	var s Statement
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("in-toto statement: %w", err)
	}
	if s.Type != StatementType && s.Type != "https://in-toto.io/Statement/v0.1" {
		return nil, fmt.Errorf("in-toto statement: _type %q", s.Type)
	}
	return &s, nil
}

// About reports whether the statement names the manifest digest d among its subjects.
func (s *Statement) About(d digest.Digest) bool {
	for _, sub := range s.Subject {
		if sub.Digest[d.Algorithm().String()] == d.Encoded() {
			return true
		}
	}
	return false
}

// NewBundle signs statement (an in-toto statement) as a DSSE envelope with key and returns
// the Sigstore bundle v0.3 in JSON: verification material is the public key's hint, with no
// transparency log entry and no timestamp (what sigstore-go's sign.Bundle makes with a key
// and no services; built here from the bundle's protobuf types so that no transparency log
// or certificate authority client comes into the binary).
func NewBundle(_ context.Context, key *ecdsa.PrivateKey, statement []byte) ([]byte, error) {
	hint, err := KeyHint(key.Public())
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(pae(InTotoPayloadType, statement))
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	pb := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: hint}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     statement,
			PayloadType: InTotoPayloadType,
			Signatures:  []*protodsse.Signature{{Sig: sig}},
		}},
	}
	return protojson.Marshal(pb)
}

// ParseBundle reads a Sigstore bundle (JSON).
func ParseBundle(b []byte) (*bundle.Bundle, error) {
	var bd bundle.Bundle
	if err := bd.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("sigstore bundle: %w", err)
	}
	return &bd, nil
}

// KeyHint is the key identifier sigstore-go and cosign put in a bundle: the base64 SHA-256 of
// the DER public key.
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(h[:]), nil
}
