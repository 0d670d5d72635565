package sign

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
)

func password(pw string) PasswordFunc {
	return func(bool) ([]byte, error) { return []byte(pw), nil }
}

// newKey writes a key pair under dir and returns the private key and the public key.
func newKey(t *testing.T, dir, name string) (*ecdsa.PrivateKey, Key) {
	t.Helper()
	priv, pub, err := GenerateKeyPair(password("secret"))
	if err != nil {
		t.Fatal(err)
	}
	privPath, pubPath, err := WriteKeyPair(filepath.Join(dir, name), priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	k, err := LoadPrivateKey(privPath, password("secret"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPublicKey(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	return k, Key{Name: name + ".pub", Public: p}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	priv, pub, err := GenerateKeyPair(password("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(priv, []byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")) {
		t.Fatalf("private key PEM: %.60s", priv)
	}
	if !bytes.HasPrefix(pub, []byte("-----BEGIN PUBLIC KEY-----")) {
		t.Fatalf("public key PEM: %.60s", pub)
	}
	privPath, pubPath, err := WriteKeyPair(filepath.Join(dir, "eo"), priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(privPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v, %v", st.Mode(), err)
	}
	if _, _, err := WriteKeyPair(filepath.Join(dir, "eo"), priv, pub); err == nil {
		t.Fatal("overwrote an existing key pair")
	}
	k, err := LoadPrivateKey(privPath, password("secret"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPublicKey(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	if !k.PublicKey.Equal(p) {
		t.Fatal("the public key file does not match the private key")
	}
	_, err = LoadPrivateKey(privPath, password("wrong"))
	if !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "wrong\x00") || strings.Count(err.Error(), "\n") > 0 {
		t.Fatalf("error leaks or spans lines: %q", err)
	}
	if _, err := LoadPrivateKey(pubPath, password("secret")); !errors.Is(err, ErrKeyFormat) {
		t.Fatalf("a public key as private key: %v", err)
	}
}

// pushArtifact stores a one-layer artifact and returns its manifest descriptor.
func pushArtifact(t *testing.T, s *memory.Store, data string) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	layer := content.NewDescriptorFromBytes("image/tiff", []byte(data))
	if err := s.Push(ctx, layer, strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	cfg := ocispec.DescriptorEmptyJSON
	if err := pushIfMissing(ctx, s, cfg, emptyConfig); err != nil {
		t.Fatal(err)
	}
	m, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cfg, Layers: []ocispec.Descriptor{layer}})
	d := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, m)
	if err := s.Push(ctx, d, bytes.NewReader(m)); err != nil {
		t.Fatal(err)
	}
	return d
}

func signWith(t *testing.T, s *memory.Store, subject ocispec.Descriptor, key *ecdsa.PrivateKey, predicateType string, predicate json.RawMessage) ocispec.Descriptor {
	t.Helper()
	st, err := NewStatement("eo/products", subject, predicateType, predicate)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBundle(context.Background(), key, st)
	if err != nil {
		t.Fatal(err)
	}
	d, err := PushBundle(context.Background(), s, subject, b, predicateType, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBundleReferrerLayout(t *testing.T) {
	s := memory.New()
	key, _ := newKey(t, t.TempDir(), "eo")
	subject := pushArtifact(t, s, "band")
	d := signWith(t, s, subject, key, SignPredicateType, nil)
	m, err := fetchManifest(context.Background(), s, d)
	if err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != BundleMediaType || m.Config.ArtifactType != BundleMediaType || m.Config.Digest != ocispec.DescriptorEmptyJSON.Digest {
		t.Fatalf("artifactType %q, config %+v", m.ArtifactType, m.Config)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != BundleMediaType {
		t.Fatalf("layers %+v", m.Layers)
	}
	if m.Subject == nil || m.Subject.Digest != subject.Digest {
		t.Fatalf("subject %+v", m.Subject)
	}
	want := map[string]string{AnnotationBundleContent: "dsse-envelope", AnnotationBundlePredicateType: SignPredicateType, ocispec.AnnotationCreated: "1970-01-01T00:00:00Z"}
	for k, v := range want {
		if m.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, m.Annotations[k], v)
		}
	}
	b, _ := fetchSmall(context.Background(), s, m.Layers[0])
	var bundle struct {
		MediaType            string `json:"mediaType"`
		VerificationMaterial struct {
			PublicKey struct{ Hint string } `json:"publicKey"`
		} `json:"verificationMaterial"`
		DsseEnvelope struct {
			PayloadType string `json:"payloadType"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	hint, _ := KeyHint(key.Public())
	if bundle.MediaType != BundleMediaType || bundle.VerificationMaterial.PublicKey.Hint != hint || bundle.DsseEnvelope.PayloadType != InTotoPayloadType {
		t.Fatalf("bundle %s", b)
	}
}

func TestVerifyBundle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := memory.New()
	key, pub := newKey(t, dir, "eo")
	_, otherPub := newKey(t, dir, "other")
	subject := pushArtifact(t, s, "band")
	other := pushArtifact(t, s, "another band")
	signWith(t, s, subject, key, SignPredicateType, nil)
	signWith(t, s, subject, key, SLSAProvenanceV1, json.RawMessage(`{"buildDefinition":{}}`))

	res, err := (&Verifier{Keys: []Key{otherPub, pub}}).Verify(ctx, s, "eo/products", subject)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results: %+v", len(res), res)
	}
	for _, r := range res {
		if !r.Verified || r.Signer != "eo.pub" || r.Kind != KindBundle {
			t.Fatalf("%+v", r)
		}
	}
	if err := Summary(res, []string{SLSAProvenanceV1}); err != nil {
		t.Fatal(err)
	}
	if err := Summary(res, []string{"https://spdx.dev/Document"}); !errors.Is(err, ErrNotVerified) {
		t.Fatalf("missing attestation type passed: %v", err)
	}

	res, _ = (&Verifier{Keys: []Key{otherPub}}).Verify(ctx, s, "eo/products", subject)
	if len(res) != 2 || res[0].Verified || res[1].Verified || Summary(res, nil) == nil {
		t.Fatalf("wrong key verified: %+v", res)
	}
	res, _ = (&Verifier{Keys: []Key{pub}}).Verify(ctx, s, "eo/products", other)
	if len(res) != 0 || !errors.Is(Summary(res, nil), ErrNotVerified) {
		t.Fatalf("unsigned artifact: %+v", res)
	}
}

func TestVerifyRejectsTamperedBundle(t *testing.T) {
	s := memory.New()
	key, pub := newKey(t, t.TempDir(), "eo")
	subject := pushArtifact(t, s, "band")
	other := pushArtifact(t, s, "another band")
	st, _ := NewStatement("", subject, SignPredicateType, nil)
	b, err := NewBundle(context.Background(), key, st)
	if err != nil {
		t.Fatal(err)
	}
	v := &Verifier{Keys: []Key{pub}}
	if _, _, err := v.VerifyBundle(b, subject.Digest); err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.VerifyBundle(b, other.Digest); err == nil {
		t.Fatal("a signature of one artifact verified for another")
	}
	// Change the statement inside the envelope: the DSSE signature no longer matches.
	evil, _ := NewStatement("", other, SignPredicateType, nil)
	var raw map[string]any
	json.Unmarshal(b, &raw)
	raw["dsseEnvelope"].(map[string]any)["payload"] = base64.StdEncoding.EncodeToString(evil)
	tampered, _ := json.Marshal(raw)
	if _, _, err := v.VerifyBundle(tampered, other.Digest); err == nil {
		t.Fatal("a tampered payload verified")
	}
}

// TestVerifyLegacyTags checks cosign's pre-bundle forms, built here as cosign lays them out:
// "sha256-<hex>.sig" (simple signing payload, signature annotation) and ".att" (DSSE).
func TestVerifyLegacyTags(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	key, pub := newKey(t, t.TempDir(), "eo")
	subject := pushArtifact(t, s, "band")

	payload := []byte(`{"critical":{"identity":{"docker-reference":"r/eo"},"image":{"docker-manifest-digest":"` + subject.Digest.String() + `"},"type":"cosign container image signature"},"optional":null}`)
	h := sha256.Sum256(payload)
	sig, _ := ecdsa.SignASN1(rand.Reader, key, h[:])
	sigLayer := content.NewDescriptorFromBytes(simpleSigningMediaType, payload)
	sigLayer.Annotations = map[string]string{annotationCosignSig: base64.StdEncoding.EncodeToString(sig)}

	st, _ := NewStatement("r/eo", subject, SLSAProvenanceV1, nil)
	m := pae(InTotoPayloadType, st)
	hm := sha256.Sum256(m)
	asig, _ := ecdsa.SignASN1(rand.Reader, key, hm[:])
	env, _ := json.Marshal(map[string]any{"payloadType": InTotoPayloadType, "payload": base64.StdEncoding.EncodeToString(st),
		"signatures": []map[string]string{{"keyid": "", "sig": base64.StdEncoding.EncodeToString(asig)}}})
	attLayer := content.NewDescriptorFromBytes(dsseEnvelopeMediaType, env)
	attLayer.Annotations = map[string]string{annotationPredicateLegacy: SLSAProvenanceV1}

	for _, x := range []struct {
		tag   string
		layer ocispec.Descriptor
		data  []byte
	}{{legacyTag(subject.Digest, ".sig"), sigLayer, payload}, {legacyTag(subject.Digest, ".att"), attLayer, env}} {
		if err := s.Push(ctx, x.layer, bytes.NewReader(x.data)); err != nil {
			t.Fatal(err)
		}
		mb, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: ocispec.DescriptorEmptyJSON, Layers: []ocispec.Descriptor{x.layer}})
		md := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, mb)
		if err := s.Push(ctx, md, bytes.NewReader(mb)); err != nil {
			t.Fatal(err)
		}
		if err := s.Tag(ctx, md, x.tag); err != nil {
			t.Fatal(err)
		}
	}
	res, err := (&Verifier{Keys: []Key{pub}}).Verify(ctx, s, "r/eo", subject)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Kind != KindCosignSignature || res[1].Kind != KindCosignAttestation {
		t.Fatalf("%+v", res)
	}
	for _, r := range res {
		if !r.Verified {
			t.Fatalf("%+v", r)
		}
	}
	if res[1].PredicateType != SLSAProvenanceV1 || res[1].Statement == nil {
		t.Fatalf("%+v", res[1])
	}
	_, otherPub := newKey(t, t.TempDir(), "other")
	res, _ = (&Verifier{Keys: []Key{otherPub}}).Verify(ctx, s, "r/eo", subject)
	if len(res) != 2 || res[0].Verified || res[1].Verified {
		t.Fatalf("wrong key verified legacy signatures: %+v", res)
	}
}

func TestPredicateType(t *testing.T) {
	for in, want := range map[string]string{"slsaprovenance1": SLSAProvenanceV1, "https://example.com/p/v1": "https://example.com/p/v1"} {
		if got, err := PredicateType(in); err != nil || got != want {
			t.Errorf("%s: %q, %v", in, got, err)
		}
	}
	if _, err := PredicateType("nonsense"); err == nil {
		t.Error("nonsense accepted")
	}
}
