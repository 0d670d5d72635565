package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eopack/eopack/backup"
	"github.com/eopack/eopack/remote"
	"github.com/eopack/eopack/target"
)

func init() { register(newRestoreCommand) }

type restoreOptions struct {
	remote           target.Options
	input            string
	dryRun           bool
	excludeReferrers bool
	repository       string
}

func newRestoreCommand(stdio *IO) *cobra.Command {
	var opts restoreOptions
	cmd := &cobra.Command{
		Use:   "restore [flags] --input <path> <registry>/<repository>[:<ref1>[,<ref2>...]]",
		Short: "Restore artifacts to a registry from an OCI image layout folder or tar archive",
		Long: `Restore the named tags (every tag of the backup if none is named), with their referrers
unless --exclude-referrers, from an OCI image layout (a folder, or a tar archive read in
place) to a repository. Every blob and manifest is checked against its digest before anything
is pushed, so a damaged backup changes nothing. Reads what "eopack backup" and "oras backup"
write.`,
		Example: `  eopack restore --input products.tar localhost:5000/eo/products
  eopack restore --input products --dry-run localhost:5000/eo/products:v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.input == "" {
				return usagef("--input is required")
			}
			opts.repository = args[0]
			return runRestore(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.remote.AddFlags(f)
	opts.remote.AddConcurrencyFlag(f)
	opts.remote.AddDistributionSpecFlag(f)
	f.StringVar(&opts.input, "input", "", "path to the OCI layout, either a tar archive (*.tar) or a directory")
	f.BoolVar(&opts.dryRun, "dry-run", false, "simulate the restore process without actually uploading any artifacts")
	f.BoolVar(&opts.excludeReferrers, "exclude-referrers", false, "restore artifacts excluding their referrers")
	return cmd
}

func runRestore(ctx context.Context, stdio *IO, opts *restoreOptions) error {
	start := time.Now()
	repo, tags, err := repositoryAndTags(opts.repository)
	if err != nil {
		return err
	}
	if _, err := os.Stat(opts.input); err != nil {
		return fmt.Errorf("backup %s: %w", opts.input, err)
	}
	in := target.Ref{Layout: true, Path: opts.input}
	src, err := target.OpenExisting(ctx, in, target.Options{})
	if err != nil {
		return target.Explain(err, in)
	}
	p := newTransferPrinter(stdio, false, opts.remote)
	defer p.close()
	if strings.HasSuffix(opts.input, ".tar") {
		if fi, err := os.Stat(opts.input); err == nil {
			p.println(fmt.Sprintf("Loaded backup archive: %s (%s)", opts.input, tarSize(fi.Size())))
		}
	}
	tags, err = backup.Tags(ctx, src, tags)
	if err != nil {
		return target.Explain(err, in)
	}
	if len(tags) == 0 {
		return fmt.Errorf("backup %s holds no tags", opts.input)
	}
	p.println(fmt.Sprintf("Found %d tag(s) in the backup: %s", len(tags), strings.Join(tags, ", ")))
	referrers := !opts.excludeReferrers
	for _, tag := range tags {
		if err := backup.Verify(ctx, src, tag, referrers); err != nil {
			return fmt.Errorf("backup %s, tag %s: %w; nothing was restored", opts.input, tag, err)
		}
	}
	if opts.dryRun {
		for _, tag := range tags {
			n, err := backup.ReferrerCount(ctx, src, tag, referrers)
			if err != nil {
				return err
			}
			p.println(fmt.Sprintf("Dry run: would push tag %s with %d referrer(s)", tag, n))
		}
		p.println(fmt.Sprintf("Dry run complete: %d tag(s) would be restored to %q (no data pushed)", len(tags), repoName(repo)))
		return nil
	}
	dst, err := target.Open(ctx, repo, opts.remote)
	if err != nil {
		return target.Explain(err, repo)
	}
	o := backup.Options{Referrers: referrers, Concurrency: opts.remote.Concurrency,
		Upload: remote.UploadOptions{State: remote.DefaultUploadState()},
		Events: p.transferEvents("Pushing", "Pushed ", "Exists ", "Mounted")}
	for _, tag := range tags {
		_, n, err := backup.CopyTag(ctx, src, dst, tag, o)
		if err != nil {
			return target.Explain(err, repo.With(tag))
		}
		p.println(fmt.Sprintf("Pushed tag %s with %d referrer(s)", tag, n))
	}
	p.close()
	p.println(fmt.Sprintf("Successfully restored %d tag(s) to %q in %s", len(tags), repoName(repo), elapsed(start)))
	return nil
}
