package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/eopack/eopack/sign"
)

func init() { register(newKeyCommand) }

func newKeyCommand(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Signing keys (cosign-compatible key pairs)",
	}
	cmd.AddCommand(newKeyGenerateCommand(stdio))
	return cmd
}

type keyGenerateOptions struct {
	prefix string
}

func newKeyGenerateCommand(stdio *IO) *cobra.Command {
	var opts keyGenerateOptions
	cmd := &cobra.Command{
		Use:   "generate [flags]",
		Short: "Write an ECDSA P-256 key pair that cosign also reads (PREFIX.key, PREFIX.pub)",
		Long: `Write a key pair for eopack sign/attest and cosign: PREFIX.key is the private key,
encrypted with a password (scrypt + secretbox, cosign's "ENCRYPTED SIGSTORE PRIVATE KEY"),
written with mode 0600; PREFIX.pub is the public key. The password comes from COSIGN_PASSWORD
(as for cosign; may be empty) or is asked twice on the terminal.`,
		Example: `  COSIGN_PASSWORD=… eopack key generate --output-key-prefix eo
  cosign verify --key eo.pub …`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeyGenerate(stdio, opts)
		},
	}
	cmd.Flags().StringVar(&opts.prefix, "output-key-prefix", "cosign", "write `PREFIX`.key and PREFIX.pub")
	return cmd
}

func runKeyGenerate(stdio *IO, opts keyGenerateOptions) error {
	priv, pub, err := sign.GenerateKeyPair(keyPassword(stdio))
	if err != nil {
		return err
	}
	privPath, pubPath, err := sign.WriteKeyPair(opts.prefix, priv, pub)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdio.Out, "Private key written to", privPath)
	fmt.Fprintln(stdio.Out, "Public key written to", pubPath)
	return nil
}

// errNoPassword: no COSIGN_PASSWORD and no terminal to ask on.
var errNoPassword = errors.New("the private key needs a password: set COSIGN_PASSWORD or run on a terminal")

// keyPassword returns the password of a private key as cosign finds it: COSIGN_PASSWORD when
// set (even empty), else asked on the terminal (twice when confirm is set).
func keyPassword(stdio *IO) sign.PasswordFunc {
	return func(confirm bool) ([]byte, error) {
		if pw, ok := os.LookupEnv("COSIGN_PASSWORD"); ok {
			return []byte(pw), nil
		}
		f, ok := stdio.In.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return nil, errNoPassword
		}
		pw, err := readSecret(f, stdio.Err, "Enter password for private key: ")
		if err != nil || !confirm {
			return pw, err
		}
		again, err := readSecret(f, stdio.Err, "Enter password for private key again: ")
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(pw, again) {
			return nil, errors.New("the passwords do not match")
		}
		return pw, nil
	}
}

func readSecret(f *os.File, prompt io.Writer, msg string) ([]byte, error) {
	fmt.Fprint(prompt, msg)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return nil, fmt.Errorf("reading the password: %w", err)
	}
	return b, nil
}
