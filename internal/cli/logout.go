package cli

import (
	"context"
	"fmt"

	"github.com/eopack/eopack/target"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

func init() { register(newLogoutCommand) }

type logoutOptions struct {
	host           string
	registryConfig string
}

func newLogoutCommand(stdio *IO) *cobra.Command {
	var opts logoutOptions
	cmd := &cobra.Command{
		Use:   "logout [flags] <registry>",
		Short: "Remove the stored credentials of a registry",
		Example: `  eopack logout localhost:5000
  eopack logout --registry-config ./auth.json localhost:5000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.host = args[0]
			return runLogout(cmd.Context(), stdio, opts)
		},
	}
	cmd.Flags().StringVar(&opts.registryConfig, "registry-config", "", "`path` of the authentication file")
	cmd.Flags().BoolP("debug", "d", false, "output debug logs (logout sends no requests: accepted, no effect)")
	return cmd
}

func runLogout(ctx context.Context, stdio *IO, opts logoutOptions) error {
	if err := (registry.Reference{Registry: opts.host}).ValidateRegistry(); err != nil {
		return usagef("%q: not a registry host[:port]", opts.host)
	}
	store, err := target.CredentialStore(opts.registryConfig)
	if err != nil {
		return err
	}
	server := credentials.ServerAddressFromRegistry(opts.host)
	cred, err := store.Get(ctx, server)
	if err != nil {
		return fmt.Errorf("reading the credentials of %s: %w", opts.host, err)
	}
	if cred == auth.EmptyCredential {
		_, err = fmt.Fprintf(stdio.Out, "Not logged in to %s\n", opts.host)
		return err
	}
	if err := credentials.Logout(ctx, store, opts.host); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdio.Out, "Removed login credentials for %s\n", opts.host)
	return err
}
