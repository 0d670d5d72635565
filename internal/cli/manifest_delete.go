package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/eopack/eopack/target"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
)

// deleteOptions are shared by `manifest delete` and `blob delete`.
type deleteOptions struct {
	targetFlags
	reference  string
	force      bool
	descriptor bool
	pretty     bool
}

func (o *deleteOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	o.targetFlags.addFlags(f, true)
	o.remote.AddDistributionSpecFlag(f)
	f.BoolVarP(&o.force, "force", "f", false, "delete without asking for confirmation")
	f.BoolVar(&o.descriptor, "descriptor", false, "print the descriptor of the deleted content (needs --force)")
	f.BoolVar(&o.pretty, "pretty", false, "print indented JSON")
}

func newManifestDeleteCommand(stdio *IO) *cobra.Command {
	var opts deleteOptions
	cmd := &cobra.Command{
		Use:     "delete [flags] <name>{:<tag>|@<digest>}",
		Aliases: []string{"remove", "rm"},
		Short:   "Delete a manifest from a registry or an OCI image layout",
		Example: `  eopack manifest delete localhost:5000/eo/products:v1
  eopack manifest delete --force localhost:5000/eo/products:v1
  eopack manifest delete --force --descriptor localhost:5000/eo/products@sha256:…`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runDelete(cmd.Context(), stdio, "manifest", opts)
		},
	}
	opts.addFlags(cmd)
	return cmd
}

// deleter is what deleting needs: a manifest store, a blob store, or a layout.
type deleter interface {
	content.Resolver
	content.Deleter
}

// runDelete deletes the manifest or blob (kind) that opts.reference names, as ORAS does:
// ask unless --force; a missing one is an error, or "Missing …" with --force.
func runDelete(ctx context.Context, stdio *IO, kind string, opts deleteOptions) error {
	if opts.descriptor && !opts.force {
		return usagef("must apply --force to confirm the deletion if the descriptor is printed")
	}
	need := needReference
	if kind == "blob" {
		need = needDigest
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, need)
	if err != nil {
		return err
	}
	var store deleter
	if repo, ok := asRepository(t); ok {
		if kind == "blob" {
			store = repo.Blobs()
		} else {
			store = repo.Manifests()
		}
	} else if d, ok := t.(deleter); ok {
		store = d
	} else {
		return fmt.Errorf("%s: deleting a %s: %w", ref, kind, errUnsupportedOnLayout)
	}

	var desc ocispec.Descriptor
	if _, isRepo := asRepository(t); kind == "blob" && !isRepo {
		desc, err = resolveBlob(ctx, t, ref.Reference)
	} else {
		desc, err = store.Resolve(ctx, ref.Reference)
	}
	if errors.Is(err, errdef.ErrNotFound) {
		if opts.force && !opts.descriptor {
			_, err := fmt.Fprintf(stdio.Out, "Missing %s\n", ref)
			return err
		}
		return fmt.Errorf("%s: %s %w", ref, kind, errdef.ErrNotFound)
	}
	if err != nil {
		return target.Explain(err, ref)
	}
	if !opts.force {
		prompt := fmt.Sprintf("Are you sure you want to delete the %s %q?", kind, desc.Digest)
		if kind == "manifest" {
			prompt = fmt.Sprintf("Are you sure you want to delete the manifest %q and all tags associated with it?", desc.Digest)
		}
		ok, err := confirm(stdio.In, stdio.Out, prompt)
		if err != nil || !ok {
			return err
		}
	}
	if err := store.Delete(ctx, desc); err != nil {
		return fmt.Errorf("deleting %s: %w", ref, target.Explain(err, ref))
	}
	if opts.descriptor {
		return writeJSON(stdio.Out, desc, opts.pretty)
	}
	_, err = fmt.Fprintf(stdio.Out, "Deleted %s\n", ref.Display())
	return err
}
