package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/staccrawl"
	"github.com/eopack/eopack/stacindex"
	"github.com/eopack/eopack/target"
)

type stacIndexOptions struct {
	targetFlags
	registry    string // host[/namespace]
	index       string
	concurrency int
}

func newStacIndexCommand(stdio *IO) *cobra.Command {
	opts := &stacIndexOptions{}
	cmd := &cobra.Command{
		Use:   "index REGISTRY[/NAMESPACE] --index FILE",
		Short: "Crawl a registry's EO products into a STAC index file",
		Long: `Crawl any OCI registry (its catalog, under NAMESPACE if given, or NAMESPACE as one repository
when the registry lists no catalog; every tag of every repository; the manifests they point
at, and the children of image indexes) and write each EO product's
STAC Item and each STAC Collection document into the index file, which eopack stac serve
serves as a STAC API. Run it again to bring the file up to date: tags whose manifest the
file has cost one HEAD and no download, manifests gone from the registry are removed, and
manifests no tag points at any more stay (untagged) while the registry has them.
Credentials are those of the other commands: -u/-p, or what eopack login stored.`,
		Example: `  eopack stac index localhost:5000/eo --index eo.stac.db
  eopack stac index ghcr.io/example/eo-products --index ghcr.stac.db
  eopack stac index registry.example.org --index all.stac.db --concurrency 16`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.registry = args[0]
			return runStacIndex(cmd.Context(), stdio, opts)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, false)
	f.StringVar(&opts.index, "index", "", "index `file` to create or update (required)")
	f.IntVar(&opts.concurrency, "concurrency", 8, "requests to the registry in flight at once")
	return cmd
}

func runStacIndex(ctx context.Context, stdio *IO, opts *stacIndexOptions) error {
	if opts.index == "" {
		return usagef("--index FILE is required")
	}
	if opts.concurrency < 1 {
		return usagef("--concurrency must be at least 1")
	}
	host, namespace, _ := strings.Cut(strings.Trim(opts.registry, "/"), "/")
	if err := (registry.Reference{Registry: host}).ValidateRegistry(); err != nil {
		return usagef("%q: not a registry host[:port][/namespace]", opts.registry)
	}
	if err := opts.readPassword(stdio.In, false); err != nil {
		return err
	}
	reg, err := target.Registry(host, opts.remote)
	if err != nil {
		return err
	}
	_, statErr := os.Stat(opts.index)
	f, err := stacindex.OpenFile(opts.index)
	if err != nil {
		return err
	}
	defer f.Close()
	src := indexSource{Registry: host, PlainHTTP: opts.remote.PlainHTTPFor(host)}
	if err := recordSource(ctx, f, src, opts.index); err != nil {
		return err
	}
	// A new file is bulk-loaded: fast, and finished (indexes built, synced) before the
	// command returns, also after a failed or interrupted crawl; a process killed during
	// the crawl leaves a file that the next run refuses, to be deleted.
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := f.BeginBulk(ctx); err != nil {
			return err
		}
	}
	sum, err := staccrawl.Crawl(ctx, f, staccrawl.Options{
		Registry: reg,
		Repository: func(name string) (*remote.Repository, error) {
			return target.Repository(target.Ref{Registry: host, Repository: name}, opts.remote)
		},
		Namespace:   namespace,
		Concurrency: opts.concurrency,
		Warn:        func(line string) { fmt.Fprintln(stdio.Err, "Warning:", line) },
	})
	if berr := f.EndBulk(context.WithoutCancel(ctx)); berr != nil {
		return berr
	}
	if err != nil && !errors.Is(err, staccrawl.ErrFailed) {
		return target.Explain(err, target.Ref{Registry: host, Repository: "_catalog"})
	}
	if cerr := f.Close(); cerr != nil && err == nil {
		err = cerr
	}
	fmt.Fprintf(stdio.Out, "Indexed %s into %s: %s\n", strings.Trim(opts.registry, "/"), opts.index, sum)
	return err
}
