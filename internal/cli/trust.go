package cli

// Trust flags and helpers shared by sign, attest, verify, lineage and the --verify of pull
// and cp: which keys, certificates or trust policy to verify with, and loading the signing key.

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"fmt"
	"io"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"
	"oras.land/oras-go/v2"

	"github.com/eopack/eopack/sign"
)

// trustFlags are --key, --certificate, --policy and --type of the verifying verbs.
type trustFlags struct {
	keys   []string
	certs  []string
	policy string
	types  []string
}

// addSignatureTargetFlags declares the target flags of the verbs that read or write
// signatures: the remote flags, --oci-layout and --distribution-spec (how referrers are
// listed and pushed).
func (f *targetFlags) addSignatureTargetFlags(fs *pflag.FlagSet) {
	f.addFlags(fs, true)
	f.remote.AddDistributionSpecFlag(fs)
}

func (f *trustFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.keys, "key", nil, "trusted public key `file` (PEM, e.g. cosign.pub; repeatable)")
	fs.StringArrayVar(&f.certs, "certificate", nil, "trusted root certificate `file` for Notary Project signatures (PEM; repeatable)")
	fs.StringVar(&f.policy, "policy", "", "trust policy `file` (keys and certificates per repository, required attestations)")
	fs.StringArrayVar(&f.types, "type", nil, "require a verified attestation of this predicate `type` (slsaprovenance1, a URI, …; repeatable)")
}

func (f *trustFlags) given() bool { return len(f.keys)+len(f.certs) > 0 || f.policy != "" }

func (f *trustFlags) check() error {
	if f.policy != "" && len(f.keys)+len(f.certs) > 0 {
		return usagef("--policy, --key and --certificate cannot be used at the same time: list keys and certificates in the policy")
	}
	if !f.given() {
		return usagef("nothing to verify with: give --key, --certificate or --policy")
	}
	return nil
}

// verifier builds the verifier for repository repo and the predicate types it requires.
func (f *trustFlags) verifier(repo string) (*sign.Verifier, []string, error) {
	var (
		keys     []sign.Key
		certs    []*x509.Certificate
		required []string
	)
	for _, t := range f.types {
		u, err := sign.PredicateType(t)
		if err != nil {
			return nil, nil, usageError{err}
		}
		required = append(required, u)
	}
	if f.policy != "" {
		p, err := sign.LoadPolicy(f.policy)
		if err != nil {
			return nil, nil, err
		}
		s, err := p.For(repo)
		if err != nil {
			return nil, nil, err
		}
		if keys, err = p.Keys(s); err != nil {
			return nil, nil, err
		}
		if certs, err = p.Certificates(s); err != nil {
			return nil, nil, err
		}
		required = append(required, s.RequiredPredicateTypes...)
	}
	for _, k := range f.keys {
		pub, err := sign.LoadPublicKey(k)
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, sign.Key{Name: k, Public: pub})
	}
	for _, c := range f.certs {
		cs, err := sign.LoadCertificates(c)
		if err != nil {
			return nil, nil, err
		}
		certs = append(certs, cs...)
	}
	v := &sign.Verifier{Keys: keys}
	if len(certs) > 0 {
		v.Notation = sign.NewNotationVerifier(certs)
	}
	return v, required, nil
}

// verifyArtifact verifies the signatures of subject in t and returns them with the verdict
// (nil: verified).
func (f *trustFlags) verifyArtifact(ctx context.Context, t oras.ReadOnlyGraphTarget, repo string, subject ocispec.Descriptor) ([]sign.Result, error) {
	v, required, err := f.verifier(repo)
	if err != nil {
		return nil, err
	}
	results, err := v.Verify(ctx, t, repo, subject)
	if err != nil {
		return nil, err
	}
	return results, sign.Summary(results, required)
}

// printResults writes one line per signature found.
func printResults(w io.Writer, results []sign.Result) {
	for _, r := range results {
		verdict, detail := "VERIFIED", r.Signer
		if !r.Verified {
			verdict, detail = "FAILED", r.Error
		}
		fmt.Fprintf(w, "%-8s %-18s %s %s %s\n", verdict, r.Kind, r.Digest, orDash(r.PredicateType), oneLine(detail))
	}
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// signingKeyFlags are --key (the private key) of sign and attest.
type signingKeyFlags struct {
	key string
}

func (f *signingKeyFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.key, "key", "", "private key `file` (cosign's encrypted PEM; password from COSIGN_PASSWORD or the terminal)")
}

func (f *signingKeyFlags) load(stdio *IO) (*ecdsa.PrivateKey, error) {
	if f.key == "" {
		return nil, usagef("--key is required")
	}
	return sign.LoadPrivateKey(f.key, keyPassword(stdio))
}
