package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2"

	"github.com/eopack/eopack/lineage"
	"github.com/eopack/eopack/sign"
	"github.com/eopack/eopack/target"
)

func init() { register(newLineageCommand) }

type lineageOptions struct {
	targetFlags
	trust     trustFlags
	reference string
	format    string
}

func newLineageCommand(stdio *IO) *cobra.Command {
	var opts lineageOptions
	cmd := &cobra.Command{
		Use:   "lineage [flags] <name>{:<tag>|@<digest>}",
		Short: "Print the lineage of a product: its inputs, their inputs, … from provenance attestations",
		Long: `Follow the SLSA provenance v1 attestations ("eopack attest --derived-from") of a product
to its input products, by digest, through the registry, to any depth, and print the tree.
A product that is its own input (a cycle) is refused. With --key only attestations that
verify are followed; with --policy, those that verify under the policy's scope for each
product's repository; without either, attestations are read unverified.`,
		Example: `  eopack lineage localhost:5000/eo/ndvi:T32TQM
  eopack lineage --key eo.pub --format dot localhost:5000/eo/ndvi:T32TQM | dot -Tsvg > lineage.svg`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runLineage(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.addSignatureTargetFlags(f)
	f.StringArrayVar(&opts.trust.keys, "key", nil, "follow only attestations verified by this public key `file` (repeatable)")
	f.StringVar(&opts.trust.policy, "policy", "", "follow only attestations verified under this trust policy `file`")
	f.StringVar(&opts.format, "format", "text", "output format: text, json or dot (Graphviz)")
	return cmd
}

func runLineage(ctx context.Context, stdio *IO, opts *lineageOptions) error {
	switch opts.format {
	case "text", "json", "dot":
	default:
		return usagef("--format %q: want text, json or dot", opts.format)
	}
	if opts.trust.policy != "" && len(opts.trust.keys) > 0 {
		return usagef("--policy, --key cannot be used at the same time")
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, needReference)
	if err != nil {
		return err
	}
	root, err := resolveIn(ctx, t, ref, nil)
	if err != nil {
		return err
	}
	rootRepo := repoPath(ref)
	w := &lineage.Walker{Open: func(ctx context.Context, repository string, d digest.Digest) (oras.ReadOnlyGraphTarget, ocispec.Descriptor, error) {
		if repository == rootRepo {
			desc, err := t.Resolve(ctx, d.String())
			return t, desc, err
		}
		r, err := opts.remote.Parse(repository+"@"+d.String(), false)
		if err != nil {
			return nil, ocispec.Descriptor{}, err
		}
		repo, err := target.Repository(r, opts.remote)
		if err != nil {
			return nil, ocispec.Descriptor{}, err
		}
		desc, err := resolveIn(ctx, repo, r, nil)
		return repo, desc, err
	}}
	switch {
	case opts.trust.policy != "":
		// Each repository is verified under the policy's scope for it.
		w.VerifierFor = func(repository string) (*sign.Verifier, error) {
			v, _, err := opts.trust.verifier(repository)
			return v, err
		}
	case opts.trust.given():
		v, _, err := opts.trust.verifier(rootRepo)
		if err != nil {
			return err
		}
		w.Verifier = v
	}
	tree, err := w.Walk(ctx, rootRepo, root.Digest)
	if err != nil {
		return err
	}
	switch opts.format {
	case "json":
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(tree)
	case "dot":
		lineage.WriteDot(stdio.Out, tree)
	default:
		lineage.WriteText(stdio.Out, tree)
	}
	if !tree.Attested {
		fmt.Fprintln(stdio.Err, "Note: no provenance attestation found on", tree.Reference())
	}
	return nil
}
