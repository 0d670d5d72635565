package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry"

	"github.com/eopack/eopack/target"
)

func init() { register(newDiscoverCommand) }

type discoverOptions struct {
	targetFlags
	reference    string
	artifactType string
	format       string
	depth        int
}

func newDiscoverCommand(stdio *IO) *cobra.Command {
	var opts discoverOptions
	cmd := &cobra.Command{
		Use:   "discover [flags] <name>{:<tag>|@<digest>}",
		Short: "List the referrers of an artifact (signatures, attachments, …)",
		Example: `  eopack discover localhost:5000/eo/products:v1
  eopack discover --artifact-type application/vnd.eopack.qa.v1 --format json localhost:5000/eo/products:v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runDiscover(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, true)
	f.StringVar(&opts.artifactType, "artifact-type", "", "list only referrers of this artifact type")
	f.StringVar(&opts.format, "format", "tree", "output format: tree, table or json")
	f.IntVar(&opts.depth, "depth", 0, "levels of referrers to list (0: all)")
	return cmd
}

// discoverNode is ORAS's JSON shape: the descriptor, its reference, and its referrers.
type discoverNode struct {
	Reference string `json:"reference"`
	ocispec.Descriptor
	Referrers []*discoverNode `json:"referrers"`
}

func runDiscover(ctx context.Context, stdio *IO, opts *discoverOptions) error {
	switch opts.format {
	case "tree", "table", "json":
	default:
		return usagef("--format %q: want tree, table or json", opts.format)
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, needReference)
	if err != nil {
		return err
	}
	root, err := resolveIn(ctx, t, ref, nil)
	if err != nil {
		return err
	}
	path := repoPath(ref)
	node := &discoverNode{Reference: path + "@" + root.Digest.String(), Descriptor: root, Referrers: []*discoverNode{}}
	if err := discoverReferrers(ctx, t, node, path, opts.artifactType, opts.depth, 1); err != nil {
		return target.Explain(err, ref)
	}
	switch opts.format {
	case "json":
		if err := writeJSON(stdio.Out, node, true); err != nil {
			return err
		}
		return nil
	case "table":
		fmt.Fprintf(stdio.Out, "%-60s %s\n", "Digest", "Artifact Type")
		for _, r := range node.Referrers {
			fmt.Fprintf(stdio.Out, "%-60s %s\n", r.Digest, r.ArtifactType)
		}
		return nil
	}
	fmt.Fprintln(stdio.Out, path+"@"+root.Digest.String())
	printTree(stdio.Out, node.Referrers, "")
	return nil
}

func discoverReferrers(ctx context.Context, t oras.ReadOnlyGraphTarget, n *discoverNode, path, artifactType string, maxDepth, depth int) error {
	if maxDepth > 0 && depth > maxDepth {
		return nil
	}
	refs, err := registry.Referrers(ctx, t, n.Descriptor, artifactType)
	if err != nil {
		return err
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Digest < refs[j].Digest })
	for _, r := range refs {
		c := &discoverNode{Reference: path + "@" + r.Digest.String(), Descriptor: r, Referrers: []*discoverNode{}}
		n.Referrers = append(n.Referrers, c)
		if err := discoverReferrers(ctx, t, c, path, artifactType, maxDepth, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// printTree prints referrers grouped by artifact type, as ORAS's tree output.
func printTree(w io.Writer, nodes []*discoverNode, indent string) {
	byType := map[string][]*discoverNode{}
	var types []string
	for _, n := range nodes {
		if _, ok := byType[n.ArtifactType]; !ok {
			types = append(types, n.ArtifactType)
		}
		byType[n.ArtifactType] = append(byType[n.ArtifactType], n)
	}
	sort.Strings(types)
	for i, typ := range types {
		last := i == len(types)-1
		fmt.Fprintln(w, indent+branch(last)+typ)
		sub := indent + pad(last)
		for j, n := range byType[typ] {
			lastN := j == len(byType[typ])-1
			fmt.Fprintln(w, sub+branch(lastN)+n.Digest.String())
			printTree(w, n.Referrers, sub+pad(lastN))
		}
	}
}

func branch(last bool) string {
	if last {
		return "└── "
	}
	return "├── "
}

func pad(last bool) string {
	if last {
		return strings.Repeat(" ", 4)
	}
	return "│   "
}
