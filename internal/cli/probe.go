package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eopack/eopack/probe"
	"github.com/eopack/eopack/target"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/registry"
)

func init() { register(newProbeCommand) }

type probeOptions struct {
	remote  target.Options
	targets []string
	format  string
	timeout time.Duration
	maxBlob string
	only    []string
	verbose bool
}

func newProbeCommand(stdio *IO) *cobra.Command {
	var opts probeOptions
	cmd := &cobra.Command{
		Use:   "probe [flags] <registry>[/<scratch-repo>] [<registry2>[/<repo>] ...]",
		Short: "Evaluate what registries accept and support, side by side",
		Long: `Evaluate what registries accept and support for EO artifacts: artifact shapes, upload
styles, Range reads, the referrers API, tag paging, deletion, sha512 and size limits.

Each check pushes only what it needs into a scratch repository (default eopack-probe/<random>),
records pass / fail / unsupported with the evidence (status codes, headers), and deletes what
it pushed where the registry allows it; what could not be deleted is listed under the table.
The cross-repository mount checks also use <scratch-repo>-src (create both beforehand on
registries that do not create repositories on push, such as ECR).
Each check has its own time limit. Several registries give one table with a column each.
The exit code is 0 whenever the probe ran, whatever the checks found.

--format json prints an array with one report per registry:
{registry, repository, results: [{id, title, status, summary, evidence, leftovers, seconds}]}.`,
		Example: `  eopack probe localhost:5000
  eopack probe registry.example.com/team/scratch --format markdown
  eopack probe 127.0.0.1:5000 127.0.0.1:5001 --only referrers,range --format json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.targets = args
			if err := opts.remote.ReadPassword(stdio.In); err != nil {
				return usageError{err}
			}
			return runProbe(cmd.Context(), stdio, opts)
		},
	}
	cmd.Long += "\n\nChecks (for --only): " + strings.Join(probe.CheckIDs(), ", ") + "."
	f := cmd.Flags()
	opts.remote.AddFlags(f)
	f.StringVar(&opts.format, "format", "text", "output `format`: text, json or markdown")
	f.DurationVar(&opts.timeout, "timeout", probe.DefaultTimeout, "time limit of each check")
	f.StringVar(&opts.maxBlob, "max-blob", "64MiB", "largest blob `size` to try (e.g. 64MiB, 1GiB)")
	f.StringSliceVar(&opts.only, "only", nil, "run only these `checks` (comma list; reach and auth always run)")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "print every check's evidence under the table")
	return cmd
}

func runProbe(ctx context.Context, stdio *IO, opts probeOptions) error {
	if !slices.Contains(probe.Formats, opts.format) {
		return usagef("--format %q: want one of %s", opts.format, strings.Join(probe.Formats, ", "))
	}
	if opts.timeout <= 0 {
		return usagef("--timeout %s: want a positive duration", opts.timeout)
	}
	maxBlob, err := parseSize(opts.maxBlob)
	if err != nil {
		return usagef("--max-blob %q: %v", opts.maxBlob, err)
	}
	ids := probe.CheckIDs()
	for _, id := range opts.only {
		if !slices.Contains(ids, id) {
			return usagef("--only %q: unknown check (checks: %s)", id, strings.Join(ids, ", "))
		}
	}
	var runs []probe.Options
	for _, t := range opts.targets {
		host, repo, err := splitProbeTarget(t)
		if err != nil {
			return err
		}
		client, err := opts.remote.Client(host)
		if err != nil {
			return err
		}
		scheme := "https"
		if opts.remote.PlainHTTPFor(host) {
			scheme = "http"
		}
		runs = append(runs, probe.Options{
			Registry:   host,
			Repository: repo,
			Scheme:     scheme,
			Insecure:   opts.remote.Insecure,
			Credential: client.Credential,
			MaxBlob:    maxBlob,
			Timeout:    opts.timeout,
			Only:       opts.only,
		})
	}
	reports := probe.RunAll(ctx, runs)
	return probe.Render(stdio.Out, opts.format, reports, opts.verbose)
}

// splitProbeTarget splits "host[:port][/repo]" and validates both parts.
func splitProbeTarget(s string) (host, repo string, err error) {
	host, repo, _ = strings.Cut(s, "/")
	ref := registry.Reference{Registry: host, Repository: repo}
	if err := ref.ValidateRegistry(); err != nil || host == "" {
		return "", "", usagef("%q: want <registry>[/<scratch-repo>], e.g. localhost:5000 or ghcr.io/me/scratch", s)
	}
	if repo != "" {
		if strings.ContainsAny(repo, ":@") {
			return "", "", usagef("%q: the scratch repository takes no tag or digest", s)
		}
		if err := ref.ValidateRepository(); err != nil {
			return "", "", usagef("%q: invalid repository name %q", s, repo)
		}
	}
	if host == "docker.io" {
		host = "registry-1.docker.io" // Docker Hub's API host, as ORAS and docker use
	}
	return host, repo, nil
}

// parseSize reads "64MiB", "64M", "1GiB", "1G", "500KiB" or a plain number of bytes.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1000}, {"MB", 1000_000}, {"GB", 1000_000_000},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive size such as 64MiB or 1GiB")
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("too large")
	}
	return n * mult, nil
}
