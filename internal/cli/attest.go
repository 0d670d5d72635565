package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/eopack/eopack/lineage"
	"github.com/eopack/eopack/sign"
	"github.com/eopack/eopack/target"
)

func init() { register(newAttestCommand) }

type attestOptions struct {
	targetFlags
	signingKeyFlags
	reference        string
	predicate        string
	predicateType    string
	derivedFrom      []string
	processor        string
	processorVersion string
	parameters       string
}

func newAttestCommand(stdio *IO) *cobra.Command {
	var opts attestOptions
	cmd := &cobra.Command{
		Use:   "attest [flags] --key <file> {--predicate <file> --type <type> | --derived-from <ref> --processor <name>} <name>{:<tag>|@<digest>}",
		Short: "Attach a signed attestation (in-toto statement) to an artifact, e.g. the provenance of a derived product",
		Long: `Sign an in-toto statement about the manifest an artifact reference names and push it as a
Sigstore bundle referrer, as cosign v3's attest does ("cosign verify-attestation --key"
verifies it).

Either the predicate comes from a file (--predicate, with --type: slsaprovenance1,
slsaprovenance, spdxjson, cyclonedx, link, vuln, openvex, custom or a URI), or, for a product
made from other products, eopack writes SLSA provenance v1 itself: --derived-from names each
input product (resolved to its digest: recorded as resolvedDependencies
oci://host/repository@digest), --processor and --processor-version the software that made
it, --parameters a JSON file of its parameters. "eopack lineage" follows these.`,
		Example: `  eopack attest --key eo.key --derived-from localhost:5000/eo/s2-l2a:T32TQM --processor ndvi --processor-version 1.2.0 localhost:5000/eo/ndvi:T32TQM
  eopack attest --key eo.key --predicate provenance.json --type slsaprovenance1 localhost:5000/eo/products:v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runAttest(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.addSignatureTargetFlags(f)
	opts.signingKeyFlags.addFlags(f)
	f.StringVar(&opts.predicate, "predicate", "", "predicate `file` (JSON)")
	f.StringVar(&opts.predicateType, "type", "", "predicate type: slsaprovenance1, … or a URI (default with --derived-from: slsaprovenance1)")
	f.StringArrayVar(&opts.derivedFrom, "derived-from", nil, "an input `reference` the product was made from (repeatable)")
	f.StringVar(&opts.processor, "processor", "", "with --derived-from: `name` of the processor that made the product")
	f.StringVar(&opts.processorVersion, "processor-version", "", "with --derived-from: the processor's `version`")
	f.StringVar(&opts.parameters, "parameters", "", "with --derived-from: JSON `file` of the processor's parameters")
	return cmd
}

func runAttest(ctx context.Context, stdio *IO, opts *attestOptions) error {
	derived := len(opts.derivedFrom) > 0
	switch {
	case derived && opts.predicate != "":
		return usagef("--predicate, --derived-from cannot be used at the same time")
	case !derived && opts.predicate == "":
		return usagef("give --predicate FILE --type TYPE, or --derived-from REF --processor NAME")
	case derived && opts.processor == "":
		return usagef("--derived-from needs --processor")
	case !derived && (opts.processor != "" || opts.processorVersion != "" || opts.parameters != ""):
		return usagef("--processor, --processor-version and --parameters go with --derived-from")
	case !derived && opts.predicateType == "":
		return usagef("--predicate needs --type")
	}
	if derived && opts.predicateType == "" {
		opts.predicateType = "slsaprovenance1"
	}
	predicateType, err := sign.PredicateType(opts.predicateType)
	if err != nil {
		return usageError{err}
	}
	if derived && predicateType != sign.SLSAProvenanceV1 {
		return usagef("--derived-from writes SLSA provenance v1 (--type slsaprovenance1), not %s", predicateType)
	}
	key, err := opts.load(stdio)
	if err != nil {
		return err
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, needReference)
	if err != nil {
		return err
	}
	var predicate []byte
	if derived {
		predicate, err = opts.provenance(ctx)
	} else {
		predicate, err = readJSONFile(opts.predicate, "predicate")
	}
	if err != nil {
		return err
	}
	subject, err := resolveIn(ctx, t, ref, nil)
	if err != nil {
		return err
	}
	att, err := pushStatement(ctx, t, repoPath(ref), subject, key, predicateType, predicate)
	if err != nil {
		return target.Explain(err, ref)
	}
	fmt.Fprintln(stdio.Out, "Attested", repoPath(ref)+"@"+subject.Digest.String())
	fmt.Fprintln(stdio.Out, "Predicate type:", predicateType)
	fmt.Fprintln(stdio.Out, "Attestation:", att.Digest)
	return nil
}

// provenance resolves every --derived-from reference to its digest and writes the SLSA
// provenance v1 predicate.
func (opts *attestOptions) provenance(ctx context.Context) ([]byte, error) {
	var params json.RawMessage
	if opts.parameters != "" {
		b, err := readJSONFile(opts.parameters, "parameters")
		if err != nil {
			return nil, err
		}
		params = b
	}
	var inputs []lineage.Input
	for _, s := range opts.derivedFrom {
		r, err := opts.remote.Parse(s, false)
		if err != nil {
			return nil, usageError{fmt.Errorf("--derived-from: %w", err)}
		}
		if r.Reference == "" {
			return nil, usagef("--derived-from %q: no tag or digest given", s)
		}
		repo, err := target.Repository(r, opts.remote)
		if err != nil {
			return nil, target.Explain(err, r)
		}
		d, err := resolveIn(ctx, repo, r, nil)
		if err != nil {
			return nil, fmt.Errorf("--derived-from: %w", err)
		}
		inputs = append(inputs, lineage.Input{Repository: repoPath(r), Digest: d.Digest, MediaType: d.MediaType, Name: s})
	}
	return lineage.NewProvenance(lineage.Processor{Name: opts.processor, Version: opts.processorVersion}, params, inputs, time.Now())
}

// readJSONFile reads a small JSON file (a predicate, parameters).
func readJSONFile(path, what string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s %s: not JSON", what, path)
	}
	return b, nil
}
