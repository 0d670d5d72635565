package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/eopack/eopack/files"
	"github.com/eopack/eopack/progress"
	eoremote "github.com/eopack/eopack/remote"
	"github.com/eopack/eopack/target"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	orasremote "oras.land/oras-go/v2/registry/remote"
)

func init() { register(newBlobCommand) }

func newBlobCommand(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "blob",
		Short: "Blob operations: fetch, push, delete",
	}
	cmd.AddCommand(newBlobFetchCommand(stdio), newBlobPushCommand(stdio), newBlobDeleteCommand(stdio))
	return cmd
}

type blobFetchOptions struct {
	targetFlags
	reference  string
	output     string
	descriptor bool
	pretty     bool
}

func newBlobFetchCommand(stdio *IO) *cobra.Command {
	var opts blobFetchOptions
	cmd := &cobra.Command{
		Use:     "fetch [flags] {--output <file> | --descriptor} <name>@<digest>",
		Aliases: []string{"get"},
		Short:   "Fetch a blob from a registry or an OCI image layout",
		Example: `  eopack blob fetch --output band.tif localhost:5000/eo/products@sha256:…
  eopack blob fetch --output - localhost:5000/eo/products@sha256:… | gdalinfo /vsistdin/
  eopack blob fetch --descriptor --oci-layout eo-layout@sha256:…`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runBlobFetch(cmd.Context(), stdio, opts)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, true)
	f.StringVarP(&opts.output, "output", "o", "", "output file `path`, - for stdout")
	f.BoolVar(&opts.descriptor, "descriptor", false, "print the blob's descriptor")
	f.BoolVar(&opts.pretty, "pretty", false, "print indented JSON")
	return cmd
}

// runBlobFetch streams one blob to a file (temp file, verified against the digest, then
// renamed) or to stdout; the blob is never held in memory.
func runBlobFetch(ctx context.Context, stdio *IO, opts blobFetchOptions) error {
	if opts.output == "" && !opts.descriptor {
		return usagef("either `--output` or `--descriptor` must be provided")
	}
	if opts.output == "-" && opts.descriptor {
		return usagef("`--output -` cannot be used with `--descriptor` at the same time")
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, needDigest)
	if err != nil {
		return err
	}
	if repo, ok := asRepository(t); ok && opts.output != "" && opts.output != "-" {
		return fetchBlobFile(ctx, stdio, opts, ref, repo)
	}
	var (
		desc ocispec.Descriptor
		rc   io.ReadCloser
	)
	if repo, ok := asRepository(t); ok {
		blobs := repo.Blobs()
		if opts.output == "" {
			desc, err = blobs.Resolve(ctx, ref.Reference)
		} else {
			desc, rc, err = blobs.FetchReference(ctx, ref.Reference)
		}
	} else {
		desc, err = resolveBlob(ctx, t, ref.Reference)
		if err == nil && opts.output != "" {
			rc, err = t.Fetch(ctx, desc)
		}
	}
	if err != nil {
		return target.Explain(err, ref)
	}
	if opts.output == "" {
		return writeJSON(stdio.Out, desc, opts.pretty)
	}
	defer rc.Close()
	if desc.Digest.String() != ref.Reference {
		return fmt.Errorf("%s: registry answered with digest %s", ref, desc.Digest)
	}
	var body io.Reader = rc
	if f, ok := stdio.terminal(opts.remote); ok && opts.output != "-" && !opts.descriptor {
		// a bar on a terminal only: off it, blob fetch prints nothing
		bars := progress.NewTerminal(f)
		defer bars.Close()
		bar := bars.Start("Downloading", desc)
		body = progress.Reader(rc, bar.Add)
		defer func() {
			if err == nil {
				bar.Done("Downloaded ")
			}
		}()
	}
	if err = deliver(stdio.Out, opts.output, ref, desc, body); err != nil {
		return err
	}
	if opts.descriptor {
		return writeJSON(stdio.Out, desc, opts.pretty)
	}
	return nil
}

// fetchBlobFile fetches a blob of a registry into a file as pull fetches files: a large one
// as parallel ranges into a partial file that a rerun resumes, verified before it gets its
// name (files.Writer).
func fetchBlobFile(ctx context.Context, stdio *IO, opts blobFetchOptions, ref target.Ref, repo *orasremote.Repository) error {
	if fi, err := os.Stat(opts.output); err == nil && fi.IsDir() {
		return fmt.Errorf("--output %s is a folder: give the file's path", opts.output)
	}
	desc, err := repo.Blobs().Resolve(ctx, ref.Reference)
	if err != nil {
		return target.Explain(err, ref)
	}
	if desc.Digest.String() != ref.Reference {
		return fmt.Errorf("%s: registry answered with digest %s", ref, desc.Digest)
	}
	w, err := files.NewWriter(filepath.Dir(opts.output), false)
	if err != nil {
		return err
	}
	defer w.Close()
	titled := desc
	titled.Annotations = map[string]string{ocispec.AnnotationTitle: filepath.Base(opts.output)}
	rc, err := eoremote.NewFetcher(repo, target.DefaultConcurrency).Fetch(ctx, titled)
	if err != nil {
		return target.Explain(err, ref)
	}
	defer rc.Close()
	var body io.ReadCloser = rc
	var bar progress.Bar
	if f, ok := stdio.terminal(opts.remote); ok && !opts.descriptor {
		// a bar on a terminal only: off it, blob fetch prints nothing
		bars := progress.NewTerminal(f)
		defer bars.Close()
		bar = bars.Start("Downloading", titled)
		body = countBody(rc, desc.Size, bar.Add)
	}
	if err := w.Write(ctx, titled, body); err != nil {
		return fmt.Errorf("%s: %w", ref, target.Explain(err, ref))
	}
	if bar != nil {
		bar.Done("Downloaded ")
	}
	if opts.descriptor {
		return writeJSON(stdio.Out, desc, opts.pretty)
	}
	return nil
}

func newBlobDeleteCommand(stdio *IO) *cobra.Command {
	var opts deleteOptions
	cmd := &cobra.Command{
		Use:     "delete [flags] <name>@<digest>",
		Aliases: []string{"remove", "rm"},
		Short:   "Delete a blob from a registry or an OCI image layout",
		Example: `  eopack blob delete --force localhost:5000/eo/products@sha256:…`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runDelete(cmd.Context(), stdio, "blob", opts)
		},
	}
	opts.addFlags(cmd)
	return cmd
}

// deliver streams rc (the content of desc) to output ("-" for w), verifying size and digest.
// A file is written to a temp file and renamed only once verified; stdout cannot be taken
// back, so a mismatch there is reported after the bytes went out.
func deliver(w io.Writer, output string, ref target.Ref, desc ocispec.Descriptor, rc io.Reader) error {
	vr := content.NewVerifyReader(rc, desc)
	verify := func() error {
		if err := vr.Verify(); err != nil {
			return fmt.Errorf("%s: content does not match its digest or size: %w", ref.With(desc.Digest.String()), err)
		}
		return nil
	}
	if output != "-" {
		return writeFileAtomic(output, vr, verify)
	}
	if _, err := io.Copy(w, vr); err != nil {
		return fmt.Errorf("fetching %s: %w", ref, err)
	}
	return verify()
}

// blobPather is a layout that can say where a blob's file is (package layout's Store).
type blobPather interface {
	BlobPath(digest.Digest) string
}

// resolveBlob finds the descriptor of any blob in a layout by digest: a layout's Resolve may
// know only manifests, so a plain blob is found by its file.
func resolveBlob(ctx context.Context, t oras.ReadOnlyTarget, reference string) (ocispec.Descriptor, error) {
	desc, err := t.Resolve(ctx, reference)
	if err == nil || !errors.Is(err, errdef.ErrNotFound) {
		return desc, err
	}
	d, perr := digest.Parse(reference)
	if p, ok := t.(blobPather); ok && perr == nil {
		if fi, serr := os.Stat(p.BlobPath(d)); serr == nil && fi.Mode().IsRegular() {
			return ocispec.Descriptor{MediaType: "application/octet-stream", Digest: d, Size: fi.Size()}, nil
		}
	}
	return desc, err
}
