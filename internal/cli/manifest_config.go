package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/eopack/eopack/target"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

type manifestFetchConfigOptions struct {
	targetFlags
	reference  string
	output     string
	descriptor bool
	pretty     bool
	platform   string
}

func newManifestFetchConfigCommand(stdio *IO) *cobra.Command {
	var opts manifestFetchConfigOptions
	cmd := &cobra.Command{
		Use:     "fetch-config [flags] <name>{:<tag>|@<digest>}",
		Aliases: []string{"get-config"},
		Short:   "Fetch the config of a manifest (for an EO product: its STAC item)",
		Example: `  eopack manifest fetch-config localhost:5000/eo/products:v1
  eopack manifest fetch-config --output item.json localhost:5000/eo/products:v1
  eopack manifest fetch-config --descriptor --oci-layout eo-layout:v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runManifestFetchConfig(cmd.Context(), stdio, opts)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, true)
	f.StringVarP(&opts.output, "output", "o", "", "file `path` to write the config to, - for stdout")
	f.BoolVar(&opts.descriptor, "descriptor", false, "print the config's descriptor")
	f.BoolVar(&opts.pretty, "pretty", false, "print indented JSON")
	f.StringVar(&opts.platform, "platform", "", "pick this "+platformForm+" from an image index")
	return cmd
}

// runManifestFetchConfig streams the config blob of an image manifest, verified.
func runManifestFetchConfig(ctx context.Context, stdio *IO, opts manifestFetchConfigOptions) error {
	if opts.output == "-" && opts.descriptor {
		return usagef("`--output -` cannot be used with `--descriptor` at the same time")
	}
	ref, t, platform, err := opts.platformSource(ctx, stdio.In, opts.reference, opts.platform)
	if err != nil {
		return err
	}
	mdesc, raw, err := fetchBytesIn(ctx, t, ref, platform)
	if err != nil {
		return err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil || (mdesc.MediaType != ocispec.MediaTypeImageManifest &&
		mdesc.MediaType != "application/vnd.docker.distribution.manifest.v2+json") {
		return fmt.Errorf("%s: %s is a %s, which has no config", ref, mdesc.Digest, mdesc.MediaType)
	}
	cfg := m.Config
	if !opts.descriptor || opts.output != "" {
		rc, err := t.Fetch(ctx, cfg)
		if err != nil {
			return target.Explain(err, ref)
		}
		defer rc.Close()
		out := opts.output
		if out == "" {
			out = "-"
		}
		if err := deliver(stdio.Out, out, ref, cfg, rc); err != nil {
			return err
		}
	}
	if opts.descriptor {
		return writeJSON(stdio.Out, cfg, opts.pretty)
	}
	return nil
}
