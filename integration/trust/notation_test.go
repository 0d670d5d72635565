package trust

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/notaryproject/notation-core-go/signature/cose"
	"github.com/notaryproject/notation-core-go/signature/jws"
	"github.com/notaryproject/notation-core-go/testhelper"
	"github.com/notaryproject/notation-go"
	notationreg "github.com/notaryproject/notation-go/registry"
	"github.com/notaryproject/notation-go/signer"
	"github.com/notaryproject/notation-go/verifier"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"
	"oras.land/oras-go/v2/registry/remote"
)

// memTrustStore is a notation trust store "ca:test" holding roots.
type memTrustStore []*x509.Certificate

func (m memTrustStore) GetCertificates(_ context.Context, typ truststore.Type, name string) ([]*x509.Certificate, error) {
	if typ != truststore.TypeCA || name != "test" {
		return nil, fmt.Errorf("no trust store %s:%s", typ, name)
	}
	return m, nil
}

// notationVerify runs notation-go's Verify, as `notation verify` does, with a trust policy
// trusting roots for every repository.
func notationVerify(t *testing.T, ref string, roots ...*x509.Certificate) error {
	t.Helper()
	doc := &trustpolicy.Document{Version: "1.0", TrustPolicies: []trustpolicy.TrustPolicy{{
		Name: "test", RegistryScopes: []string{"*"},
		SignatureVerification: trustpolicy.SignatureVerification{VerificationLevel: trustpolicy.LevelStrict.Name},
		TrustStores:           []string{"ca:test"}, TrustedIdentities: []string{"*"},
	}}}
	v, err := verifier.New(doc, memTrustStore(roots), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = notation.Verify(context.Background(), v, repository(t, ref), notation.VerifyOptions{ArtifactReference: ref, MaxSignatureAttempts: 10})
	return err
}

func repository(t *testing.T, ref string) notationreg.Repository {
	t.Helper()
	r, err := remote.NewRepository(ref)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	return notationreg.NewRepository(r)
}

func pemOf(t *testing.T, certs ...*x509.Certificate) string {
	var b strings.Builder
	for _, c := range certs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.String()
}

// TestNotation: eopack's Notary Project signatures verify with notation-go (the notation
// CLI's library) and a trust policy; notation-go's JWS and COSE signatures verify with eopack;
// another root refuses them on both sides.
func TestNotation(t *testing.T) {
	root, leaf := testhelper.GetECRootCertificate(), testhelper.GetECLeafCertificate()
	stranger := testhelper.GetRSARootCertificate()
	for name, host := range registries(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			der, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
			if err != nil {
				t.Fatal(err)
			}
			e.write("notary.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
			e.write("chain.pem", pemOf(t, leaf.Cert, root.Cert))
			e.write("root.pem", pemOf(t, root.Cert))
			e.write("stranger.pem", pemOf(t, stranger.Cert))

			dg := e.product(host+"/eo/notary:v1", "notary")
			ref := host + "/eo/notary@" + dg
			out := e.eo("sign", "--format", "notation", "--key", "notary.key", "--certificate-chain", "chain.pem", ref)
			if !strings.Contains(out, "Signed "+ref) {
				t.Fatalf("sign:\n%s", out)
			}
			if err := notationVerify(t, ref, root.Cert); err != nil {
				t.Fatalf("notation-go verify of eopack's signature: %v", err)
			}
			if err := notationVerify(t, ref, stranger.Cert); err == nil {
				t.Fatal("notation-go verified with an untrusted root")
			}
			out = e.eo("verify", "--certificate", "root.pem", ref)
			if lines(out, "VERIFIED notation") != 1 {
				t.Fatalf("verify:\n%s", out)
			}

			dg2 := e.product(host+"/eo/notary2:v1", "notary2")
			ref2 := host + "/eo/notary2@" + dg2
			s, err := signer.NewGenericSigner(leaf.PrivateKey, []*x509.Certificate{leaf.Cert, root.Cert})
			if err != nil {
				t.Fatal(err)
			}
			for _, mt := range []string{jws.MediaTypeEnvelope, cose.MediaTypeEnvelope} {
				if _, err := notation.Sign(context.Background(), s, repository(t, ref2), notation.SignOptions{
					SignerSignOptions: notation.SignerSignOptions{SignatureMediaType: mt},
					ArtifactReference: ref2,
				}); err != nil {
					t.Fatalf("notation-go sign %s: %v", mt, err)
				}
			}
			out = e.eo("verify", "--certificate", "root.pem", ref2)
			if lines(out, "VERIFIED notation") != 2 {
				t.Fatalf("verify of notation-go's JWS and COSE signatures:\n%s", out)
			}
			r := e.fails(e.eopack, []string{"verify", "--certificate", "stranger.pem", ref2}, "verification failed")
			if lines(r.stdout, "FAILED   notation") != 2 {
				t.Fatalf("verify with an untrusted root:\n%s", r.stdout)
			}
			// A policy file may trust certificates, and pull --verify reads them too.
			e.write("policy.json", `{"policies":[{"scope":"*","certificates":["root.pem"]}]}`)
			e.eo("pull", "--verify", "--policy", "policy.json", "-o", "pulled", ref2)
		})
	}
}
