package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/eopack/eopack/target"
	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
)

// maxManifestBytes is the largest manifest accepted, as oras-go and most registries (4 MiB).
const maxManifestBytes = 4 << 20

type manifestPushOptions struct {
	targetFlags
	reference   string
	file        string
	mediaType   string
	descriptor  bool
	pretty      bool
	concurrency int
}

func newManifestPushCommand(stdio *IO) *cobra.Command {
	var opts manifestPushOptions
	cmd := &cobra.Command{
		Use:   "push [flags] <name>[:<tag>[,<tag>][...]|@<digest>] <file>",
		Short: "Push a manifest to a registry or an OCI image layout",
		Example: `  eopack manifest push localhost:5000/eo/products:v1 manifest.json
  eopack manifest push localhost:5000/eo/products:v1,latest manifest.json
  cat manifest.json | eopack manifest push --descriptor localhost:5000/eo/products:v1 -
  eopack manifest push --oci-layout eo-layout:v1 manifest.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference, opts.file = args[0], args[1]
			return runManifestPush(cmd.Context(), stdio, opts)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, true)
	opts.remote.AddDistributionSpecFlag(f)
	f.StringVar(&opts.mediaType, "media-type", "", "media type of the manifest (default: its mediaType field)")
	f.BoolVar(&opts.descriptor, "descriptor", false, "print the descriptor of the pushed manifest")
	f.BoolVar(&opts.pretty, "pretty", false, "print indented JSON")
	f.IntVar(&opts.concurrency, "concurrency", 5, "concurrency level for tagging")
	return cmd
}

func runManifestPush(ctx context.Context, stdio *IO, opts manifestPushOptions) error {
	if err := checkMediaType(opts.mediaType); err != nil {
		return err
	}
	first, extra := opts.remote.SplitTags(opts.reference)
	ref, err := opts.parse(first)
	if err != nil {
		return err
	}
	// "ref:t1,t2" means what it means for push: in a layout tagged in the seed's form
	// ("eo/products:v1"), extra tags keep the repository part ("eo/products:t2").
	for i, t := range extra {
		full, err := extraTag(ref, t)
		if err != nil {
			return err
		}
		extra[i] = full
	}
	if err := opts.readPassword(stdio.In, opts.file == "-"); err != nil {
		return err
	}
	raw, err := readManifestFile(opts.file, stdio.In)
	if err != nil {
		return err
	}
	mediaType := opts.mediaType
	if mediaType == "" {
		if mediaType, err = manifestMediaType(raw); err != nil {
			return fmt.Errorf("%s: %w", opts.file, err)
		}
	}
	desc := content.NewDescriptorFromBytes(mediaType, raw)
	if target.IsDigest(ref.Reference) && ref.Reference != desc.Digest.String() {
		return fmt.Errorf("%s: the manifest's digest is %s, not %s", opts.file, desc.Digest, ref.Reference)
	}

	t, err := opts.open(ctx, ref)
	if err != nil {
		return err
	}
	var dst oras.Target = t
	if repo, ok := asRepository(t); ok {
		dst = repo.Manifests()
	}
	tag := ref.Reference
	if tag == "" {
		tag = desc.Digest.String()
	}
	status := stdio.Out
	if opts.descriptor {
		status = io.Discard
	}
	same, err := resolvesTo(ctx, dst, tag, desc.Digest)
	if err != nil {
		return target.Explain(err, ref)
	}
	if same {
		statusLine(status, "Exists", desc)
	} else {
		statusLine(status, "Uploading", desc)
		if _, err := oras.TagBytes(ctx, dst, mediaType, raw, tag); err != nil {
			return target.Explain(err, ref)
		}
		statusLine(status, "Uploaded", desc)
	}
	if !opts.descriptor {
		fmt.Fprintf(stdio.Out, "Pushed: %s\n", ref.Display())
	}
	if len(extra) > 0 {
		tagOpts := oras.DefaultTagBytesNOptions
		tagOpts.Concurrency = max(opts.concurrency, 1)
		if _, err := oras.TagBytesN(ctx, dst, mediaType, raw, extra, tagOpts); err != nil {
			return target.Explain(err, ref)
		}
		for _, t := range extra {
			fmt.Fprintf(status, "Tagged %s\n", t)
		}
	}
	if opts.descriptor {
		return writeJSON(stdio.Out, desc, opts.pretty)
	}
	_, err = fmt.Fprintf(stdio.Out, "Digest: %s\n", desc.Digest)
	return err
}

// checkTag validates a tag for a registry; a layout accepts any ref.name string.
func checkTag(layout bool, tag string) error {
	if layout {
		if tag == "" {
			return usagef("empty tag")
		}
		return nil
	}
	if err := target.ValidateTag(tag); err != nil {
		return usageError{err}
	}
	return nil
}

// readManifestFile reads a manifest from path ("-": in), refusing anything over 4 MiB.
func readManifestFile(path string, in io.Reader) ([]byte, error) {
	r := in
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading manifest: %w", err)
		}
		defer f.Close()
		r = f
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", path, err)
	}
	if len(raw) > maxManifestBytes {
		return nil, fmt.Errorf("%s: manifest larger than %d bytes", path, maxManifestBytes)
	}
	return raw, nil
}

// manifestMediaType reads the mediaType field of a manifest.
func manifestMediaType(raw []byte) (string, error) {
	var m struct {
		MediaType string `json:"mediaType"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", fmt.Errorf("not a valid JSON manifest: %w", err)
	}
	if m.MediaType == "" {
		return "", errors.New(`no "mediaType" field: pass --media-type`)
	}
	return m.MediaType, nil
}

// resolvesTo reports whether reference already resolves to d in t.
func resolvesTo(ctx context.Context, t content.Resolver, reference string, d digest.Digest) (bool, error) {
	got, err := t.Resolve(ctx, reference)
	if errors.Is(err, errdef.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return got.Digest == d, nil
}
