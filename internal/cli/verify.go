package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eopack/eopack/sign"
	"github.com/eopack/eopack/target"
)

func init() { register(newVerifyCommand) }

type verifyOptions struct {
	targetFlags
	trust     trustFlags
	reference string
	format    string
}

func newVerifyCommand(stdio *IO) *cobra.Command {
	var opts verifyOptions
	cmd := &cobra.Command{
		Use:   "verify [flags] {--key <file> | --certificate <file> | --policy <file>} <name>{:<tag>|@<digest>}",
		Short: "Verify the signatures and attestations of an artifact",
		Long: `Find every signature of the manifest an artifact reference names and verify each:
Sigstore bundle referrers (eopack's and cosign v3's), cosign's legacy "sha256-<hex>.sig" and
".att" tags, and Notary Project signatures (with --certificate). One line per signature:

  VERIFIED|FAILED  kind  signature-manifest-digest  predicate-type  key-or-reason

The exit code is 0 when at least one signature verifies and every required attestation
(--type, or the policy's requiredPredicateTypes) is present and verified, 1 otherwise.`,
		Example: `  eopack verify --key eo.pub localhost:5000/eo/products:v1
  eopack verify --key eo.pub --type slsaprovenance1 localhost:5000/eo/ndvi:v1
  eopack verify --policy trust.json --format json localhost:5000/eo/products:v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runVerify(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.addSignatureTargetFlags(f)
	opts.trust.addFlags(f)
	f.StringVar(&opts.format, "format", "text", "output format: text or json")
	return cmd
}

// verifyModel is verify's --format json output.
type verifyModel struct {
	Reference  string        `json:"reference"`
	Verified   bool          `json:"verified"`
	Error      string        `json:"error,omitempty"`
	Signatures []sign.Result `json:"signatures"`
}

func runVerify(ctx context.Context, stdio *IO, opts *verifyOptions) error {
	if err := checkFormat(opts.format); err != nil {
		return err
	}
	if err := opts.trust.check(); err != nil {
		return err
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, needReference)
	if err != nil {
		return err
	}
	subject, err := resolveIn(ctx, t, ref, nil)
	if err != nil {
		return err
	}
	results, verdict := opts.trust.verifyArtifact(ctx, t, repoPath(ref), subject)
	if verdict != nil && !errors.Is(verdict, sign.ErrNotVerified) {
		return target.Explain(verdict, ref)
	}
	if opts.format == "json" {
		m := verifyModel{Reference: repoPath(ref) + "@" + subject.Digest.String(), Verified: verdict == nil, Signatures: results}
		if m.Signatures == nil {
			m.Signatures = []sign.Result{}
		}
		if verdict != nil {
			m.Error = verdict.Error()
		}
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil {
			return err
		}
	} else {
		printResults(stdio.Out, results)
	}
	if verdict != nil {
		return fmt.Errorf("%s@%s: %w", repoPath(ref), subject.Digest, verdict)
	}
	return nil
}
