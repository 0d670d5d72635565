package cli

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/spf13/cobra"
)

func init() { register(newManifestCommand) }

func newManifestCommand(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manifest",
		Short: "Manifest operations: fetch, fetch-config, push, delete, index create, index update",
	}
	cmd.AddCommand(newManifestFetchCommand(stdio), newManifestFetchConfigCommand(stdio),
		newManifestPushCommand(stdio), newManifestDeleteCommand(stdio))
	cmd.AddCommand(newManifestIndexCommand(stdio))
	return cmd
}

type manifestFetchOptions struct {
	targetFlags
	reference  string
	descriptor bool
	output     string
	pretty     bool
	format     formatFlags
	mediaTypes []string
	platform   string
}

func newManifestFetchCommand(stdio *IO) *cobra.Command {
	var opts manifestFetchOptions
	cmd := &cobra.Command{
		Use:     "fetch [flags] <name>{:<tag>|@<digest>}",
		Aliases: []string{"get", "show"},
		Short:   "Fetch the manifest of an artifact from a registry or an OCI image layout",
		Example: `  eopack manifest fetch localhost:5000/eo/products:v1
  eopack manifest fetch --descriptor localhost:5000/eo/products:v1
  eopack manifest fetch --pretty --oci-layout eo-layout:v1
  eopack manifest fetch --output manifest.json localhost:5000/eo/products:v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			if cmd.Flags().Changed("format") && cmd.Flags().Changed("pretty") {
				return usagef("--format and --pretty cannot be used at the same time")
			}
			if cmd.Flags().Changed("format") && cmd.Flags().Changed("descriptor") {
				return usagef("--format and --descriptor cannot be used at the same time")
			}
			return runManifestFetch(cmd.Context(), stdio, opts)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, true)
	f.BoolVar(&opts.descriptor, "descriptor", false, "print the descriptor instead of the content")
	f.StringVarP(&opts.output, "output", "o", "", "file `path` to write the fetched manifest to, - for stdout")
	f.BoolVar(&opts.pretty, "pretty", false, "print indented JSON")
	opts.format.addFlags(f, formatText, formatJSON, formatGoTemplate)
	f.StringSliceVar(&opts.mediaTypes, "media-type", nil, "accepted media types")
	f.StringVar(&opts.platform, "platform", "", "pick this "+platformForm+" from an image index")
	return cmd
}

func runManifestFetch(ctx context.Context, stdio *IO, opts manifestFetchOptions) error {
	if opts.output == "-" && opts.format.flag != formatText {
		return usagef("`--output -` cannot be used with `--format %s` at the same time", opts.format.flag)
	}
	if err := opts.format.parse(stdio.Err); err != nil {
		return err
	}
	if opts.output == "-" && opts.descriptor {
		return usagef("`--descriptor` cannot be used with `--output -` at the same time")
	}
	if opts.layout && len(opts.mediaTypes) > 0 {
		return usagef("`--media-type` cannot be used with `--oci-layout` at the same time")
	}
	ref, t, platform, err := opts.platformSource(ctx, stdio.In, opts.reference, opts.platform)
	if err != nil {
		return err
	}
	if repo, ok := asRepository(t); ok && len(opts.mediaTypes) > 0 {
		repo.ManifestMediaTypes = opts.mediaTypes
	}

	if opts.descriptor && opts.output == "" {
		desc, err := resolveIn(ctx, t, ref, platform)
		if err != nil {
			return err
		}
		return writeJSON(stdio.Out, desc, opts.pretty)
	}
	desc, raw, err := fetchBytesIn(ctx, t, ref, platform)
	if err != nil {
		return err
	}
	switch opts.output {
	case "":
	case "-":
		if _, err := stdio.Out.Write(raw); err != nil {
			return err
		}
	default:
		if err := writeFileAtomic(opts.output, bytes.NewReader(raw), nil); err != nil {
			return err
		}
	}
	switch {
	case opts.descriptor:
		return writeJSON(stdio.Out, desc, opts.pretty)
	case opts.format.structured():
		var content map[string]any // as ORAS: null when the manifest is not a JSON object
		if err := json.Unmarshal(raw, &content); err != nil {
			content = nil
		}
		return opts.format.write(stdio.Out, fetchedJSON{
			Reference:  repoPath(ref) + "@" + desc.Digest.String(),
			Descriptor: descriptorOnly(desc),
			Content:    content,
		})
	case opts.output == "":
		return writeContent(stdio.Out, raw, opts.pretty)
	}
	return nil
}
