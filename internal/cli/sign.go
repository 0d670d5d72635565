package cli

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2"

	"github.com/eopack/eopack/sign"
	"github.com/eopack/eopack/target"
)

func init() { register(newSignCommand) }

// Signature formats of eopack sign.
const (
	signFormatSigstore = "sigstore"
	signFormatNotation = "notation"
)

type signOptions struct {
	targetFlags
	signingKeyFlags
	reference string
	format    string
	certChain string // --format notation: the key's certificate chain, leaf first
}

func newSignCommand(stdio *IO) *cobra.Command {
	var opts signOptions
	cmd := &cobra.Command{
		Use:   "sign [flags] --key <file> <name>{:<tag>|@<digest>}",
		Short: "Sign an artifact (a Sigstore bundle referrer cosign verifies, or a Notary Project signature)",
		Long: `Sign the manifest an artifact reference names. The signature is pushed as a referrer of
the manifest (or, where the registry lacks the referrers API, listed in the "sha256-<hex>"
index tag): by default a Sigstore bundle v0.3 (a DSSE envelope over an in-toto statement),
laid out as cosign v3 writes it, so "cosign verify --key" verifies it. Signing is offline:
no transparency log, no certificate authority. With --format notation, a Notary Project
JWS signature with the key's certificate chain (--certificate-chain).`,
		Example: `  COSIGN_PASSWORD=… eopack sign --key eo.key localhost:5000/eo/products:v1
  eopack sign --format notation --key notary.key --certificate-chain notary.crt localhost:5000/eo/products:v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runSign(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.addSignatureTargetFlags(f)
	opts.signingKeyFlags.addFlags(f)
	f.StringVar(&opts.format, "format", signFormatSigstore, "signature format: sigstore or notation")
	f.StringVar(&opts.certChain, "certificate-chain", "", "--format notation: PEM `file` with the signing certificate and its chain, leaf first")
	return cmd
}

func runSign(ctx context.Context, stdio *IO, opts *signOptions) error {
	switch opts.format {
	case signFormatSigstore:
		if opts.certChain != "" {
			return usagef("--certificate-chain is for --format notation")
		}
	case signFormatNotation:
		if opts.certChain == "" {
			return usagef("--format notation needs --certificate-chain")
		}
	default:
		return usagef("--format %q: want sigstore or notation", opts.format)
	}
	if opts.key == "" {
		return usagef("--key is required")
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, needReference)
	if err != nil {
		return err
	}
	subject, err := resolveIn(ctx, t, ref, nil)
	if err != nil {
		return err
	}
	var sig ocispec.Descriptor
	if opts.format == signFormatNotation {
		key, kerr := sign.LoadSigner(opts.key, keyPassword(stdio))
		if kerr != nil {
			return kerr
		}
		sig, err = sign.SignNotation(ctx, t, subject, key, opts.certChain)
	} else {
		key, kerr := opts.load(stdio)
		if kerr != nil {
			return kerr
		}
		sig, err = pushStatement(ctx, t, "", subject, key, sign.SignPredicateType, nil)
	}
	if err != nil {
		return target.Explain(err, ref)
	}
	fmt.Fprintln(stdio.Out, "Signed", repoPath(ref)+"@"+subject.Digest.String())
	fmt.Fprintln(stdio.Out, "Signature:", sig.Digest)
	return nil
}

// pushStatement signs an in-toto statement about subject (named name) and pushes it as a
// Sigstore bundle referrer.
func pushStatement(ctx context.Context, t oras.Target, name string, subject ocispec.Descriptor, key *ecdsa.PrivateKey, predicateType string, predicate json.RawMessage) (ocispec.Descriptor, error) {
	st, err := sign.NewStatement(name, subject, predicateType, predicate)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	b, err := sign.NewBundle(ctx, key, st)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return sign.PushBundle(ctx, t, subject, b, predicateType, time.Now())
}
