package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/eopack/eopack/registry"
)

func init() { register(newServeCommand) }

type serveOptions struct {
	registry.Config
}

func newServeCommand(stdio *IO) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run an OCI Distribution v1.1 registry whose repositories are OCI image layouts",
		Long: `Run an embedded OCI registry (distribution-spec v1.1: referrers, sha512, Range, chunked
and resumable uploads, cross-repository mounts, _catalog).

Every repository under --root is an OCI image layout (oras repo tags --oci-layout ROOT/NAME
reads it); identical blobs are stored once in ROOT/_pool and hard-linked into repositories.
With --htpasswd (bcrypt entries, as "htpasswd -B" writes) push and delete need basic auth;
pull stays anonymous unless --private. SIGINT/SIGTERM finish requests in flight, then exit.`,
		Example: `  eopack serve
  eopack serve --addr 127.0.0.1:5000 --root ./registry --htpasswd ./htpasswd`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Root == "" {
				return usagef("--root must not be empty")
			}
			o.Log = stdio.Err
			return runServe(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", "127.0.0.1:5000", "listen address")
	f.StringVar(&o.Root, "root", "./eopack-registry", "storage folder (one OCI image layout per repository)")
	f.StringVar(&o.Htpasswd, "htpasswd", "", "htpasswd file with bcrypt entries: push and delete need basic auth")
	f.BoolVar(&o.Private, "private", false, "require authentication to pull too (needs --htpasswd)")
	f.StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate file (serve HTTPS, with --tls-key)")
	f.StringVar(&o.TLSKey, "tls-key", "", "TLS private key file")
	f.DurationVar(&o.UploadTTL, "upload-ttl", 24*time.Hour, "remove upload sessions untouched for this long")
	return cmd
}

func runServe(ctx context.Context, o serveOptions) error {
	return registry.Serve(ctx, o.Config, nil)
}
