package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/content"

	"github.com/eopack/eopack/progress"
	"github.com/eopack/eopack/remote"
	"github.com/eopack/eopack/target"
)

type blobPushOptions struct {
	targetFlags
	reference  string
	file       string
	size       int64
	mediaType  string
	descriptor bool
	pretty     bool
	upload     target.UploadFlags
}

func newBlobPushCommand(stdio *IO) *cobra.Command {
	var opts blobPushOptions
	cmd := &cobra.Command{
		Use:   "push [flags] <name>[@digest] <file>",
		Short: "Push a blob to a registry or an OCI image layout",
		Example: `  eopack blob push localhost:5000/eo/products band.tif
  eopack blob push --descriptor --media-type image/tiff localhost:5000/eo/products band.tif
  cat band.tif | eopack blob push --size 1024 localhost:5000/eo/products@sha256:… -`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference, opts.file = args[0], args[1]
			return runBlobPush(cmd.Context(), stdio, opts)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, true)
	f.Int64Var(&opts.size, "size", -1, "the blob's size in bytes (required with - for stdin)")
	f.StringVar(&opts.mediaType, "media-type", ocispec.MediaTypeImageLayer, "media type printed in the descriptor with --descriptor")
	f.BoolVar(&opts.descriptor, "descriptor", false, "print the descriptor of the pushed blob")
	f.BoolVar(&opts.pretty, "pretty", false, "print indented JSON")
	opts.upload.AddUploadFlags(f)
	return cmd
}

// runBlobPush streams a file (or stdin, whose size and digest must be given) to the target.
// A file is read twice when its digest is not given: once to hash it, once to send it.
func runBlobPush(ctx context.Context, stdio *IO, opts blobPushOptions) error {
	if err := checkMediaType(opts.mediaType); err != nil {
		return err
	}
	ref, err := opts.parse(opts.reference)
	if err != nil {
		return err
	}
	if ref.Reference != "" && !target.IsDigest(ref.Reference) {
		return usagef("%q: a blob is pushed to a repository, optionally @<digest>, not to a tag", opts.reference)
	}
	if err := opts.readPassword(stdio.In, opts.file == "-"); err != nil {
		return err
	}
	desc := ocispec.Descriptor{MediaType: opts.mediaType, Size: opts.size}
	if ref.Reference != "" {
		desc.Digest = digest.Digest(ref.Reference)
	}
	var r io.Reader
	if opts.file == "-" {
		if opts.size < 0 {
			return usagef("`--size` must be provided if the blob is read from stdin")
		}
		if desc.Digest == "" {
			return usagef("the digest must be given (<name>@<digest>) if the blob is read from stdin")
		}
		r = stdio.In
	} else {
		f, err := os.Open(opts.file)
		if err != nil {
			return fmt.Errorf("reading blob: %w", err)
		}
		defer f.Close()
		if desc, err = describeFile(f, desc); err != nil {
			return fmt.Errorf("%s: %w", opts.file, err)
		}
		r = f
	}
	ref = ref.With("")
	t, err := opts.open(ctx, ref)
	if err != nil {
		return err
	}
	var dst content.Storage = t
	var push content.Pusher = t
	if repo, ok := asRepository(t); ok {
		dst = repo.Blobs()
		push = remote.NewUploader(repo, opts.upload.Options())
	}
	p := newTransferPrinter(stdio, opts.descriptor, opts.remote)
	defer p.close()
	exists, err := dst.Exists(ctx, desc)
	if err != nil {
		return target.Explain(err, ref)
	}
	if exists {
		p.status("Exists", desc)
	} else {
		bar := p.t.Start("Uploading", desc)
		if err := push.Push(ctx, desc, progress.Reader(r, bar.Add)); err != nil {
			return fmt.Errorf("pushing %s: %w", opts.file, target.Explain(err, ref))
		}
		bar.Done("Uploaded")
	}
	p.close()
	if opts.descriptor {
		return writeJSON(stdio.Out, desc, opts.pretty)
	}
	_, err = fmt.Fprintf(stdio.Out, "Pushed: %s\nDigest: %s\n", refForDisplay(opts.reference, ref), desc.Digest)
	return err
}

// refForDisplay prints the reference as the user gave it, in ORAS's "[registry] …" form.
func refForDisplay(raw string, ref target.Ref) string {
	kind := "[registry] "
	if ref.Layout {
		kind = "[oci-layout] "
	}
	return kind + raw
}

// describeFile fills size and digest of f (hashing it when no digest was given) and rewinds it.
func describeFile(f *os.File, desc ocispec.Descriptor) (ocispec.Descriptor, error) {
	fi, err := f.Stat()
	if err != nil {
		return desc, err
	}
	if !fi.Mode().IsRegular() {
		return desc, fmt.Errorf("not a regular file")
	}
	if desc.Size >= 0 && desc.Size != fi.Size() {
		return desc, fmt.Errorf("input size %d does not match the actual content size %d", desc.Size, fi.Size())
	}
	desc.Size = fi.Size()
	if desc.Digest != "" {
		return desc, nil
	}
	dg, err := digest.SHA256.FromReader(f)
	if err != nil {
		return desc, err
	}
	desc.Digest = dg
	_, err = f.Seek(0, io.SeekStart)
	return desc, err
}
