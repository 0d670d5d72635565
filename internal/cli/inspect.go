package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/eopack/eopack/stac"
)

func init() { register(newInspectCommand) }

type inspectOptions struct {
	targetFlags
	reference string
	format    string
}

func newInspectCommand(stdio *IO) *cobra.Command {
	var opts inspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [flags] <name>{:<tag>|@<digest>}",
		Short: "Summarize an EO product without downloading its data",
		Long: `Summarize an EO product: id, collection, datetime, bbox and its assets (band, roles,
size, media type, digest). Only the manifest is read — plus the STAC item when the manifest
lacks eopack's stac:* annotations — never the data. An image index of products (as
"eopack manifest index create" makes one) is summarised as a group: the union bbox, the
datetime range, the common collection, and its children.`,
		Example: `  eopack inspect localhost:5000/eo/landsat:v1
  eopack inspect --format json --oci-layout eo-layout:eo/products:v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runInspect(cmd.Context(), stdio, &opts)
		},
	}
	opts.addFlags(cmd.Flags(), true)
	cmd.Flags().StringVar(&opts.format, "format", "text", "output format: text or json")
	return cmd
}

// inspectJSON is inspect's --format json output.
type inspectJSON struct {
	Reference string `json:"reference"`
	Digest    string `json:"digest"`
	stac.Summary
}

func runInspect(ctx context.Context, stdio *IO, opts *inspectOptions) error {
	if err := checkFormat(opts.format); err != nil {
		return err
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, needReference)
	if err != nil {
		return err
	}
	desc, b, err := oras.FetchBytes(ctx, t, ref.Reference, oras.DefaultFetchBytesOptions)
	if err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	if desc.MediaType == ocispec.MediaTypeImageIndex {
		return inspectIndex(stdio, opts.format, ref.String(), repoPath(ref), desc, b)
	}
	m, err := parseImageManifest(desc, b)
	if err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	var it *stac.Item
	if stac.NeedsItem(m) {
		if it, err = fetchItem(ctx, t, m); err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
	}
	sum := stac.Summarize(m, it)
	if opts.format == "json" {
		return writeJSON(stdio.Out, inspectJSON{Reference: repoPath(ref) + "@" + desc.Digest.String(), Digest: desc.Digest.String(), Summary: sum}, true)
	}
	printSummary(stdio, ref.String(), desc, sum)
	return nil
}

// parseImageManifest parses b, the manifest desc describes, as an image manifest.
func parseImageManifest(desc ocispec.Descriptor, b []byte) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return m, fmt.Errorf("is a %s, not an image manifest (name one of its manifests by digest)", desc.MediaType)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("manifest: %w", err)
	}
	return m, nil
}

// inspectIndexJSON is inspect's --format json output for an image index: the group's STAC
// summary (union bbox, datetime range, common collection) and its children.
type inspectIndexJSON struct {
	Reference string `json:"reference"`
	Digest    string `json:"digest"`
	stac.Summary
	Manifests []ocispec.Descriptor `json:"manifests"`
}

// inspectIndex summarises an image index from its own annotations (which `manifest index
// create` computes from EO children) and lists its children; nothing else is fetched.
func inspectIndex(stdio *IO, format, ref, repo string, desc ocispec.Descriptor, b []byte) error {
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return fmt.Errorf("%s: index: %w", ref, err)
	}
	sum := stac.SummarizeIndex(idx)
	if format == "json" {
		return writeJSON(stdio.Out, inspectIndexJSON{Reference: repo + "@" + desc.Digest.String(), Digest: desc.Digest.String(),
			Summary: sum, Manifests: idx.Manifests}, true)
	}
	w := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	summaryRows(w, ref, desc, sum)
	fmt.Fprintf(w, "Manifests:\t%d\n", len(idx.Manifests))
	w.Flush()
	w = tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  DIGEST\tARTIFACT TYPE\tPLATFORM\tSIZE")
	for _, m := range idx.Manifests {
		platform := "-"
		if m.Platform != nil {
			platform = m.Platform.OS + "/" + m.Platform.Architecture
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%d\n", m.Digest, dash(m.ArtifactType), platform, m.Size)
	}
	return w.Flush()
}

// maxItemBytes bounds the STAC item read into memory.
const maxItemBytes = 16 << 20

// fetchItem fetches and parses the STAC item a manifest carries (config or item layer).
func fetchItem(ctx context.Context, t oras.ReadOnlyTarget, m ocispec.Manifest) (*stac.Item, error) {
	d, ok := stac.ItemDescriptor(m)
	if !ok {
		return nil, stac.ErrNoItem
	}
	if d.Size > maxItemBytes {
		return nil, fmt.Errorf("STAC item of %d bytes is larger than %d", d.Size, maxItemBytes)
	}
	b, err := content.FetchAll(ctx, t, d)
	if err != nil {
		return nil, fmt.Errorf("STAC item %s: %w", d.Digest, err)
	}
	it, err := stac.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("STAC item %s: %w", d.Digest, err)
	}
	return it, nil
}

// summaryRows writes the "Key:\tvalue" rows of a summary that has values.
func summaryRows(w io.Writer, ref string, desc ocispec.Descriptor, s stac.Summary) {
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%s\t%s\n", k, v)
		}
	}
	row("Reference:", ref)
	row("Digest:", desc.Digest.String())
	row("ArtifactType:", s.ArtifactType)
	row("ID:", s.ID)
	row("Collection:", s.Collection)
	row("Datetime:", s.Datetime)
	row("BBox:", stac.FormatBBox(s.BBox))
	row("Item in:", s.ItemIn)
}

func printSummary(stdio *IO, ref string, desc ocispec.Descriptor, s stac.Summary) {
	w := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	summaryRows(w, ref, desc, s)
	fmt.Fprintf(w, "Assets:\t%d (%s)\n", len(s.Assets), humanBytes(s.Size))
	w.Flush()
	w = tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  ASSET\tBAND\tROLES\tSIZE\tMEDIA TYPE\tDIGEST")
	for _, a := range s.Assets {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%d\t%s\t%s\n", a.Key, dash(strings.Join(a.Bands, ",")), dash(strings.Join(a.Roles, ",")), a.Size, a.MediaType, a.Digest)
	}
	for _, l := range s.Links {
		fmt.Fprintf(w, "  %s\t-\t-\t-\tlink\t%s\n", l.Key, l.Href)
	}
	w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
