package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

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
	format       formatFlags
	depth        int
	platform     string
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
	opts.remote.AddDistributionSpecFlag(f)
	f.StringVar(&opts.artifactType, "artifact-type", "", "list only referrers of this artifact type")
	opts.format.addFlags(f, formatTree, formatTable, formatJSON, formatGoTemplate)
	// ORAS's deprecated spelling of --format, bound to the same value.
	f.StringVarP(&opts.format.flag, "output", "o", formatTree, "[deprecated] format in which to display referrers (table, json, or tree): use --format")
	f.IntVar(&opts.depth, "depth", 0, "levels of referrers to list (0: all)")
	f.StringVar(&opts.platform, "platform", "", "list the referrers of the manifest for this "+platformForm+" of an image index")
	return cmd
}

func runDiscover(ctx context.Context, stdio *IO, opts *discoverOptions) error {
	if err := opts.format.parse(stdio.Err); err != nil {
		return err
	}
	ref, t, platform, err := opts.platformSource(ctx, stdio.In, opts.reference, opts.platform)
	if err != nil {
		return err
	}
	root, err := resolveIn(ctx, t, ref, platform)
	if err != nil {
		return err
	}
	path := repoPath(ref)
	node := newDiscoverNode(path, root)
	if err := discoverReferrers(ctx, t, node, path, opts.artifactType, opts.depth, 1); err != nil {
		return target.Explain(err, ref)
	}
	switch {
	case opts.format.structured():
		return opts.format.write(stdio.Out, node)
	case opts.format.Type == formatTable:
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
	for _, r := range refs { // in the registry's order, as ORAS
		c := newDiscoverNode(path, r)
		n.Referrers = append(n.Referrers, c)
		if err := discoverReferrers(ctx, t, c, path, artifactType, maxDepth, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// printTree prints referrers grouped by artifact type, as ORAS's tree output; types and the
// digests of each type sorted.
func printTree(w io.Writer, nodes []*discoverNode, indent string) {
	nodes = slices.Clone(nodes)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Digest < nodes[j].Digest })
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
