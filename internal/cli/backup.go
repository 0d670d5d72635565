package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eopack/eopack/backup"
	"github.com/eopack/eopack/target"
)

func init() { register(newBackupCommand) }

type backupOptions struct {
	remote     target.Options
	output     string
	referrers  bool
	repository string
}

func newBackupCommand(stdio *IO) *cobra.Command {
	var opts backupOptions
	cmd := &cobra.Command{
		Use:   "backup [flags] --output <path> <registry>/<repository>[:<ref1>[,<ref2>...]]",
		Short: "Back up artifacts from a registry into an OCI image layout folder or tar archive",
		Long: `Back up the named tags of a repository (every tag if none is named), with their referrers
if asked, into an OCI image layout: a tar archive if --output ends in .tar, else a folder.
Each tag keeps its name in the layout, as ORAS's backup writes it, so "oras restore" and
"eopack restore" read either tool's backups. Carry products, their signatures and their
lineage to a site without network access this way.`,
		Example: `  eopack backup --output products localhost:5000/eo/products:v1,v2
  eopack backup --output products.tar --include-referrers localhost:5000/eo/products`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.output == "" {
				return usagef("--output is required")
			}
			opts.repository = args[0]
			return runBackup(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.remote.AddFlags(f)
	f.IntVar(&opts.remote.Concurrency, "concurrency", 3, "concurrency level")
	opts.remote.AddDistributionSpecFlag(f)
	f.StringVarP(&opts.output, "output", "o", "", "path to the target output, either a tar archive (*.tar) or a directory")
	f.BoolVar(&opts.referrers, "include-referrers", false, "back up the artifact with its referrers (e.g., attestations, SBOMs)")
	return cmd
}

func runBackup(ctx context.Context, stdio *IO, opts *backupOptions) error {
	start := time.Now()
	repo, tags, err := repositoryAndTags(opts.repository)
	if err != nil {
		return err
	}
	src, err := target.OpenExisting(ctx, repo, opts.remote)
	if err != nil {
		return target.Explain(err, repo)
	}
	tags, err = backup.Tags(ctx, src, tags)
	if err != nil {
		return target.Explain(err, repo)
	}
	if len(tags) == 0 {
		return fmt.Errorf("%s has no tags to back up", repo)
	}
	p := newTransferPrinter(stdio, false, opts.remote)
	defer p.close()
	p.println(fmt.Sprintf("Found %d tag(s) in %s: %s", len(tags), repoName(repo), strings.Join(tags, ", ")))

	asTar := strings.HasSuffix(opts.output, ".tar")
	dir := opts.output
	if asTar {
		if dir, err = os.MkdirTemp(filepath.Dir(opts.output), "."+filepath.Base(opts.output)+".layout-*"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	dst, err := target.Open(ctx, target.Ref{Layout: true, Path: dir}, target.Options{})
	if err != nil {
		return err
	}
	o := backup.Options{Referrers: opts.referrers, Concurrency: opts.remote.Concurrency,
		Events: p.transferEvents("Pulling", "Pulled ", "Exists ", "Mounted")}
	for _, tag := range tags {
		_, n, err := backup.CopyTag(ctx, src, dst, tag, o)
		if err != nil {
			return target.Explain(err, repo.With(tag))
		}
		p.println(fmt.Sprintf("Pulled tag %s with %d referrer(s)", tag, n))
	}
	p.close()
	if asTar {
		p.println("Exporting to " + opts.output)
		size, err := backup.WriteTar(dir, opts.output)
		if err != nil {
			return fmt.Errorf("writing %s: %w", opts.output, err)
		}
		p.println(fmt.Sprintf("Exported to %s (%s)", opts.output, tarSize(size)))
	}
	p.println(fmt.Sprintf("Successfully backed up %d tag(s) from %q to %q in %s.", len(tags), repoName(repo), opts.output, elapsed(start)))
	return nil
}

// repositoryAndTags splits <registry>/<repository>[:<ref1>[,<ref2>...]].
func repositoryAndTags(s string) (target.Ref, []string, error) {
	base, extra := target.SplitTags(s)
	repo, err := target.ParseRemote(base)
	if err != nil {
		return repo, nil, usageError{err}
	}
	var tags []string
	if repo.Reference != "" {
		if target.IsDigest(repo.Reference) {
			return repo, nil, usagef("%q: name tags, not a digest: a backup keeps artifacts by tag", s)
		}
		tags = append(tags, repo.Reference)
	}
	for _, t := range extra {
		if err := target.ValidateTag(t); err != nil {
			return repo, nil, usageError{err}
		}
		tags = append(tags, t)
	}
	repo.Reference = ""
	return repo, tags, nil
}

func repoName(r target.Ref) string { return r.Registry + "/" + r.Repository }

// elapsed is d rounded as ORAS prints it (183ms, 1.2s).
func elapsed(start time.Time) string {
	d := time.Since(start)
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// tarSize is n as ORAS prints an archive's size: 1024-based, one decimal ("7.5 KB").
func tarSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n), 0
	for v >= 1024 && unit < 4 {
		v /= 1024
		unit++
	}
	return fmt.Sprintf("%.1f %s", v, [...]string{"B", "KB", "MB", "GB", "TB"}[unit])
}
