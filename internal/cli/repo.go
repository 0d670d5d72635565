package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/eopack/eopack/target"
	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

func init() { register(newRepoCommand) }

func newRepoCommand(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "Repository operations: ls, tags",
	}
	cmd.AddCommand(newRepoLsCommand(stdio), newRepoTagsCommand(stdio))
	return cmd
}

type repoLsOptions struct {
	targetFlags
	registry string // host[/namespace]
	last     string
	format   formatFlags
}

func newRepoLsCommand(stdio *IO) *cobra.Command {
	var opts repoLsOptions
	cmd := &cobra.Command{
		Use:     "ls [flags] <registry>[/<namespace>]",
		Aliases: []string{"list"},
		Short:   "List the repositories of a registry (its catalog)",
		Example: `  eopack repo ls localhost:5000
  eopack repo ls localhost:5000/eo
  eopack repo ls --last eo/products localhost:5000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.registry = args[0]
			return runRepoLs(cmd.Context(), stdio, opts)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, false)
	f.StringVar(&opts.last, "last", "", "start after the repository `name`")
	opts.format.addFlags(f, formatText, formatJSON, formatGoTemplate)
	return cmd
}

func runRepoLs(ctx context.Context, stdio *IO, opts repoLsOptions) error {
	if err := opts.format.parse(stdio.Err); err != nil {
		return err
	}
	host, namespace, _ := strings.Cut(strings.TrimSuffix(opts.registry, "/"), "/")
	if err := (registry.Reference{Registry: host}).ValidateRegistry(); err != nil {
		return usagef("%q: not a registry host[:port]", opts.registry)
	}
	if err := opts.readPassword(stdio.In, false); err != nil {
		return err
	}
	ref := target.Ref{Registry: host, Repository: "_catalog"}
	reg, err := target.Registry(host, opts.remote)
	if err != nil {
		return err
	}
	prefix := ""
	if namespace != "" {
		prefix = namespace + "/"
	}
	var repos []string
	err = reg.Repositories(ctx, opts.last, func(page []string) error {
		for _, r := range page {
			if strings.HasPrefix(r, prefix) {
				repos = append(repos, r)
			}
		}
		return nil
	})
	if err != nil {
		return target.Explain(err, ref)
	}
	if opts.format.structured() { // full names, as ORAS
		return opts.format.write(stdio.Out, repositoriesModel{host, nonNil(repos)})
	}
	for i, r := range repos {
		repos[i] = strings.TrimPrefix(r, prefix)
	}
	return printLines(stdio, repos)
}

type repoTagsOptions struct {
	targetFlags
	reference     string
	last          string
	format        formatFlags
	excludeDigest bool
}

func newRepoTagsCommand(stdio *IO) *cobra.Command {
	var opts repoTagsOptions
	cmd := &cobra.Command{
		Use:     "tags [flags] <name>",
		Aliases: []string{"show-tags"},
		Short:   "List the tags of a repository or an OCI image layout, sorted",
		Example: `  eopack repo tags localhost:5000/eo/products
  eopack repo tags --last v1 localhost:5000/eo/products
  eopack repo tags localhost:5000/eo/products:v1      # only the tags of v1's manifest
  eopack repo tags --oci-layout eo-layout`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runRepoTags(cmd.Context(), stdio, opts)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, true)
	f.StringVar(&opts.last, "last", "", "start after the tag `name`")
	opts.format.addFlags(f, formatText, formatJSON, formatGoTemplate)
	f.BoolVar(&opts.excludeDigest, "exclude-digest-tags", false, "leave out digest-like tags such as sha256-…")
	return cmd
}

// runRepoTags lists tags in sorted order. With a tag or digest in the reference it lists only
// the tags of that manifest; in a layout, "dir:eo/products" lists the tags "eo/products:*"
// with that prefix removed (the seed's tag form).
func runRepoTags(ctx context.Context, stdio *IO, opts repoTagsOptions) error {
	if err := opts.format.parse(stdio.Err); err != nil {
		return err
	}
	ref, t, err := opts.source(ctx, stdio.In, opts.reference, anyRef)
	if err != nil {
		return err
	}
	lister, ok := t.(registry.TagLister)
	if !ok {
		return fmt.Errorf("%s: listing tags: %w", ref, errUnsupportedOnLayout)
	}
	var prefix, want string
	if ref.Reference != "" {
		if target.IsDigest(ref.Reference) {
			want = ref.Reference
		} else if desc, err := t.Resolve(ctx, ref.Reference); err == nil {
			want = desc.Digest.String()
		} else if ref.Layout && errors.Is(err, errdef.ErrNotFound) {
			prefix = ref.Reference + ":"
		} else {
			return target.Explain(err, ref)
		}
	}
	var tags []string
	err = lister.Tags(ctx, opts.last, func(page []string) error {
		for _, tag := range page {
			if prefix != "" {
				rest, ok := strings.CutPrefix(tag, prefix)
				if !ok {
					continue
				}
				tag = rest
			}
			if opts.excludeDigest && isDigestTag(tag) {
				continue
			}
			tags = append(tags, tag)
		}
		return nil
	})
	if err != nil {
		return target.Explain(err, ref)
	}
	if want != "" {
		kept := tags[:0]
		for _, tag := range tags {
			desc, err := t.Resolve(ctx, tag)
			if err != nil {
				return target.Explain(err, ref.With(tag))
			}
			if desc.Digest.String() == want {
				kept = append(kept, tag)
			}
		}
		tags = kept
	}
	sort.Strings(tags)
	if opts.format.structured() {
		return opts.format.write(stdio.Out, tagsModel{nonNil(tags)})
	}
	return printLines(stdio, tags)
}

// isDigestTag reports whether tag looks like "sha256-<hex>" (a referrers tag-schema tag).
func isDigestTag(tag string) bool {
	_, err := digest.Parse(strings.Replace(tag, "-", ":", 1))
	return err == nil
}

func printLines(stdio *IO, lines []string) error {
	for _, l := range lines {
		if _, err := fmt.Fprintln(stdio.Out, l); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
