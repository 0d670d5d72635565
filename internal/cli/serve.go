package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/eopack/eopack/migrate"
	"github.com/eopack/eopack/registry"
)

func init() { register(newServeCommand) }

type serveOptions struct {
	registry.Config
	tiles string
}

func newServeCommand(stdio *IO) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run an OCI Distribution v1.1 registry (metadata in SQLite, blobs on disk)",
		Long: `Run an embedded OCI registry (distribution-spec v1.1: referrers, sha512, Range, chunked
and resumable uploads, cross-repository mounts, _catalog).

Metadata (repositories, manifests, tags, referrers, upload sessions) lives in an SQLite
database in --root, every change one transaction; blobs are stored once, by digest, under
--root/_blobs, each verified before it is visible. A --root written by an earlier eopack
(one OCI image layout per repository) is imported on start. Garbage (unused blobs, stale
upload sessions) is collected online every --gc-interval, sparing anything younger than
--upload-ttl.

Several servers can run behind one address on shared storage: --db postgres://… keeps the
metadata in PostgreSQL and --blobs s3://BUCKET/PREFIX?endpoint=…&region=… the blobs in any
S3-compatible store (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the
shared AWS config). Upload sessions live in the database, so any server takes any request.
To get a repository as an OCI image layout: eopack cp REG/REPO:TAG --to-oci-layout DIR.
With --htpasswd (bcrypt entries, as "htpasswd -B" writes) push and delete need basic auth;
pull stays anonymous unless --private. SIGINT/SIGTERM finish requests in flight, then exit.

The registry's EO products are searchable through a STAC API v1.0.0 under /stac/ (item
search with CQL2 filters, collections, queryables), kept current in the same transaction as
each manifest push and delete, and a map page at / searches and shows them. Both follow the
pull rule: public unless --private.`,
		Example: `  eopack serve
  eopack serve --addr 127.0.0.1:5000 --root ./registry --htpasswd ./htpasswd
  eopack serve --addr :5000 --db postgres://eopack@db/eopack \
    --blobs 's3://eo-archive/registry?endpoint=https://s3.example.org&region=eu-west-1'
  eopack serve gc --root ./registry --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Root == "" && (o.DB == "" || o.Blobs == "") {
				return usagef("--root must not be empty")
			}
			o.Log = stdio.Err
			o.Mount = mountSite("eopack", o.tiles, stdio.Err)
			return runServe(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", "127.0.0.1:5000", "listen address")
	f.StringVar(&o.Root, "root", "./eopack-registry", "storage folder (metadata database and blobs)")
	f.StringVar(&o.DB, "db", "", "postgres://… URL of a metadata database shared by several servers (default: SQLite in --root)")
	f.StringVar(&o.Blobs, "blobs", "", "blob store: s3://BUCKET/PREFIX?endpoint=URL&region=R (AWS credentials from the environment) or a folder (default: --root/_blobs)")
	f.BoolVar(&o.BlobRedirect, "blob-redirect", false, "answer blob GETs with a 307 to a presigned URL of the S3 store")
	f.StringVar(&o.Htpasswd, "htpasswd", "", "htpasswd file with bcrypt entries: push and delete need basic auth")
	f.BoolVar(&o.Private, "private", false, "require authentication to pull too (needs --htpasswd)")
	f.StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate file (serve HTTPS, with --tls-key)")
	f.StringVar(&o.TLSKey, "tls-key", "", "TLS private key file")
	f.DurationVar(&o.UploadTTL, "upload-ttl", 24*time.Hour, "grace period: upload sessions untouched and unused blobs younger than this are kept")
	f.DurationVar(&o.GCInterval, "gc-interval", time.Hour, "collect garbage online this often (0: never)")
	f.IntVar(&o.MaxConns, "max-conns", 0, "open connections at most (0: half the file-descriptor limit)")
	f.StringVar(&o.tiles, "tiles", "", "XYZ tile URL template of the web page's base map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png (default: none, footprints on a graticule)")
	cmd.AddCommand(newServeGCCommand(stdio), newServeMigrateCommand(stdio))
	return cmd
}

func runServe(ctx context.Context, o serveOptions) error {
	return registry.Serve(ctx, o.Config, nil)
}

type serveGCOptions struct {
	loc    registry.Location
	grace  time.Duration
	dryRun bool
}

func newServeGCCommand(stdio *IO) *cobra.Command {
	var o serveGCOptions
	cmd := &cobra.Command{
		Use:   "gc --root DIR [--dry-run]",
		Short: "Collect garbage of a registry's storage, or report it with --dry-run",
		Long: `Remove blobs no manifest references and no repository has used for --grace, and upload
sessions untouched for --grace. A running server does this itself every --gc-interval.
On the embedded storage (--root) this command is for a stopped server; on shared storage
(--db postgres://… --blobs s3://…) it may run while servers run, and one collection runs
at a time. --dry-run only reports what would go and how many bytes, and also works while
the server runs.`,
		Example: `  eopack serve gc --root ./registry --dry-run`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServeGC(cmd.Context(), stdio, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.loc.Root, "root", "./eopack-registry", "storage folder")
	f.StringVar(&o.loc.DB, "db", "", "postgres://… URL of the metadata database (as serve --db)")
	f.StringVar(&o.loc.Blobs, "blobs", "", "blob store URL or folder (as serve --blobs)")
	f.DurationVar(&o.grace, "grace", 24*time.Hour, "keep anything younger than this")
	f.BoolVar(&o.dryRun, "dry-run", false, "report, change nothing")
	return cmd
}

func runServeGC(ctx context.Context, stdio *IO, o serveGCOptions) error {
	open := func() (*registry.Storage, error) { return registry.OpenLocation(ctx, o.loc, stdio.Err) }
	if o.dryRun {
		open = func() (*registry.Storage, error) { return registry.OpenLocationReadOnly(ctx, o.loc) }
	}
	st, err := open()
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.GC(ctx, o.grace, o.dryRun)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdio.Out, rep)
	return nil
}

func newServeMigrateCommand(stdio *IO) *cobra.Command {
	var root string
	cmd := &cobra.Command{
		Use:   "migrate --root DIR",
		Short: "Import a registry root written by an earlier eopack (done on start too)",
		Long: `Import a --root whose repositories are OCI image layouts (the first storage format) into
the metadata database and blob store, verifying every blob. serve does this by itself on
start; this command does it without serving. Anything that could not be imported is kept
under ROOT/_v1-leftover.`,
		Example: `  eopack serve migrate --root ./registry`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServeMigrate(cmd.Context(), stdio, root)
		},
	}
	cmd.Flags().StringVar(&root, "root", "./eopack-registry", "storage folder")
	return cmd
}

func runServeMigrate(ctx context.Context, stdio *IO, root string) error {
	if _, err := os.Stat(root); err != nil {
		return fmt.Errorf("no registry storage at %s: %w", root, err)
	}
	if !migrate.IsV1(root) {
		fmt.Fprintf(stdio.Out, "%s is already in the current storage format: nothing to import\n", root)
		return nil
	}
	st, err := registry.Open(ctx, root, stdio.Out)
	if err != nil {
		return err
	}
	return st.Close()
}
