package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/eopack/eopack/target"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

func init() { register(newLoginCommand) }

// ErrLoginFailed is wrapped when the registry refuses the credentials.
var ErrLoginFailed = errors.New("login failed")

type loginOptions struct {
	targetFlags
	host string
}

func newLoginCommand(stdio *IO) *cobra.Command {
	var opts loginOptions
	cmd := &cobra.Command{
		Use:   "login [flags] <registry>",
		Short: "Log in to a registry: check the credentials, then store them",
		Long: `Log in to a registry: check the credentials with GET /v2/, then store them in Docker's
config.json (DOCKER_CONFIG, ~/.docker, or --registry-config) or its credential helper.
Without -p or --password-stdin the username and password are asked for.`,
		Example: `  eopack login -u alice localhost:5000
  echo "$TOKEN" | eopack login -u alice --password-stdin registry.example.com
  eopack login -u alice -p secret --registry-config ./auth.json localhost:5000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.host = args[0]
			return runLogin(cmd.Context(), stdio, opts)
		},
	}
	opts.addFlags(cmd.Flags(), false)
	return cmd
}

func runLogin(ctx context.Context, stdio *IO, opts loginOptions) error {
	if err := (registry.Reference{Registry: opts.host}).ValidateRegistry(); err != nil {
		return usagef("%q: not a registry host[:port] (log in to a registry, not a repository)", opts.host)
	}
	o := &opts.remote
	if err := o.ReadPassword(stdio.In); err != nil {
		return usageError{err}
	}
	if w := o.SecretWarning(); w != "" {
		fmt.Fprintln(stdio.Err, w)
	}
	if o.Password == "" {
		if err := promptCredential(stdio, o); err != nil {
			return err
		}
	}
	cred := auth.Credential{Username: o.Username, Password: o.Password}
	if o.Username == "" {
		cred = auth.Credential{RefreshToken: o.Password}
	}
	store, err := target.CredentialStore(o.RegistryConfig)
	if err != nil {
		return err
	}
	reg, err := target.Registry(opts.host, *o)
	if err != nil {
		return err
	}
	if err := credentials.Login(ctx, store, reg, cred); err != nil {
		return explainLogin(err, opts.host)
	}
	_, err = fmt.Fprintln(stdio.Out, "Login Succeeded")
	return err
}

// explainLogin says in one line why a login failed: wrong credentials, or the registry's error.
func explainLogin(err error, host string) error {
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("%w: invalid username or password for %s", ErrLoginFailed, host)
		case http.StatusForbidden:
			return fmt.Errorf("%w: %s refused access with these credentials (403 Forbidden)", ErrLoginFailed, host)
		}
	}
	return fmt.Errorf("%w: %w", ErrLoginFailed, target.Explain(err, target.Ref{Registry: host}))
}

// promptCredential asks for the username (when -u is missing) and the password or token.
// On a terminal the password is not echoed.
func promptCredential(stdio *IO, o *target.Options) error {
	in := bufio.NewReader(stdio.In)
	if o.Username == "" {
		fmt.Fprint(stdio.Err, "Username: ")
		line, err := in.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return fmt.Errorf("reading username: %w", err)
		}
		o.Username = strings.TrimSpace(line)
	}
	what := "Password"
	if o.Username == "" {
		what = "Token"
	}
	fmt.Fprintf(stdio.Err, "%s: ", what)
	var secret string
	if f, ok := stdio.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdio.Err)
		if err != nil {
			return fmt.Errorf("reading %s: %w", strings.ToLower(what), err)
		}
		secret = string(b)
	} else {
		line, err := in.ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading %s: %w", strings.ToLower(what), err)
		}
		secret = strings.TrimRight(line, "\r\n")
	}
	if secret == "" {
		return fmt.Errorf("%s required", strings.ToLower(what))
	}
	o.Password = secret
	return nil
}
