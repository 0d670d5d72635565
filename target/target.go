package target

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Options says how to reach a remote registry. The zero value works: HTTPS, credentials from
// the Docker config (DOCKER_CONFIG or ~/.docker/config.json) and its credential helpers.
type Options struct {
	PlainHTTP      bool   // use http:// (automatic for localhost, 127.0.0.1 and [::1] unless --plain-http=false)
	Insecure       bool   // skip TLS certificate verification
	Username       string // static credential (-u)
	Password       string // static credential (-p), or read by ReadPassword with --password-stdin
	PasswordStdin  bool
	RegistryConfig string // docker config.json path; empty = DOCKER_CONFIG / ~/.docker
	Concurrency    int    // parallel blob transfers; 0 = default (5, as ORAS)

	plainHTTPSet func() bool
}

// DefaultConcurrency is ORAS's default --concurrency.
const DefaultConcurrency = 5

// AddFlags declares ORAS's remote flags: --plain-http, --insecure, -u/--username,
// -p/--password, --password-stdin, --registry-config.
func (o *Options) AddFlags(fs *pflag.FlagSet) { o.AddFlagsWithPrefix(fs, "", "") }

// AddFlagsWithPrefix declares the same flags named "<prefix>-plain-http" etc. (as ORAS's
// cp does with "from" and "to"); description names the side ("source ", "destination ").
// Short forms and --password-stdin exist only without a prefix.
func (o *Options) AddFlagsWithPrefix(fs *pflag.FlagSet, prefix, description string) {
	p := ""
	if prefix != "" {
		p = prefix + "-"
	}
	short := func(s string) string {
		if prefix == "" {
			return s
		}
		return ""
	}
	fs.BoolVar(&o.PlainHTTP, p+"plain-http", false, "allow insecure connections to "+description+"registry without SSL (automatic for localhost)")
	name := p + "plain-http"
	o.plainHTTPSet = func() bool { return fs.Changed(name) }
	fs.BoolVar(&o.Insecure, p+"insecure", false, "allow connections to "+description+"SSL registry without certs")
	fs.StringVarP(&o.Username, p+"username", short("u"), "", description+"registry username")
	fs.StringVarP(&o.Password, p+"password", short("p"), "", description+"registry password or identity token")
	if prefix == "" {
		fs.BoolVar(&o.PasswordStdin, "password-stdin", false, "read password from stdin")
	}
	fs.StringVar(&o.RegistryConfig, p+"registry-config", "", "`path` of the authentication file for "+description+"registry")
}

// AddConcurrencyFlag declares ORAS's --concurrency.
func (o *Options) AddConcurrencyFlag(fs *pflag.FlagSet) {
	fs.IntVar(&o.Concurrency, "concurrency", DefaultConcurrency, "concurrency level")
}

// ReadPassword reads the password from in when --password-stdin was given (first line,
// trailing newline removed).
func (o *Options) ReadPassword(in io.Reader) error {
	if !o.PasswordStdin {
		return nil
	}
	if o.Password != "" {
		return errors.New("--password and --password-stdin are mutually exclusive")
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("reading password from stdin: %w", err)
	}
	o.Password = strings.TrimRight(line, "\r\n")
	return nil
}

// PlainHTTPFor says whether host (host[:port]) is reached over plain HTTP.
func (o Options) PlainHTTPFor(host string) bool {
	if o.plainHTTPSet != nil && o.plainHTTPSet() {
		return o.PlainHTTP
	}
	if o.PlainHTTP {
		return true
	}
	return IsLoopback(host)
}

// IsLoopback reports whether host[:port] names localhost, 127.0.0.1 or [::1].
func IsLoopback(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.Trim(h, "[]")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Open opens r for reading and writing: a layout folder (created if missing) or a remote
// repository.
func Open(ctx context.Context, r Ref, o Options) (oras.GraphTarget, error) {
	if r.Layout {
		return openLayout(ctx, r.Path)
	}
	return Repository(r, o)
}

// OpenExisting is Open for a source: a layout folder must already hold an OCI layout.
func OpenExisting(ctx context.Context, r Ref, o Options) (oras.GraphTarget, error) {
	if r.Layout {
		if _, err := os.Stat(filepath.Join(r.Path, "oci-layout")); err != nil {
			return nil, fmt.Errorf("%s: not an OCI image layout (no oci-layout file): %w", r.Path, ErrNotFound)
		}
	}
	return Open(ctx, r, o)
}

// Repository opens a remote repository with credentials (static -u/-p, else the Docker
// config and its helpers), oras-go's retry transport and an auth token cache.
func Repository(r Ref, o Options) (*remote.Repository, error) {
	if r.Layout {
		return nil, fmt.Errorf("%s: an OCI layout, not a registry: %w", r.Path, ErrInvalidReference)
	}
	repo, err := remote.NewRepository(r.Registry + "/" + r.Repository)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", r.Registry, r.Repository, ErrInvalidReference)
	}
	repo.PlainHTTP = o.PlainHTTPFor(r.Registry)
	client, err := o.Client(r.Registry)
	if err != nil {
		return nil, err
	}
	repo.Client = client
	return repo, nil
}

// Registry opens a remote registry (for catalog listing and login checks).
func Registry(host string, o Options) (*remote.Registry, error) {
	reg, err := remote.NewRegistry(host)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", host, ErrInvalidReference)
	}
	reg.PlainHTTP = o.PlainHTTPFor(host)
	if reg.Client, err = o.Client(host); err != nil {
		return nil, err
	}
	return reg, nil
}

// Client builds the auth client used for host.
func (o Options) Client(host string) (*auth.Client, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	// Parallel blob transfers and ranged downloads keep up to --concurrency connections per
	// registry busy; keep that many idle ones too, so TLS handshakes are not repeated.
	if n := o.Concurrency; n > base.MaxIdleConnsPerHost {
		base.MaxIdleConnsPerHost = n
	}
	if o.Insecure {
		base.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	c := &auth.Client{
		Client: &http.Client{Transport: retry.NewTransport(base)},
		Cache:  auth.NewCache(),
	}
	c.SetUserAgent("eopack")
	if o.Username != "" || o.Password != "" {
		cred := auth.Credential{Username: o.Username, Password: o.Password}
		if o.Username == "" {
			cred = auth.Credential{RefreshToken: o.Password}
		}
		c.Credential = auth.StaticCredential(host, cred)
		return c, nil
	}
	store, err := CredentialStore(o.RegistryConfig)
	if err != nil {
		return nil, err
	}
	c.Credential = credentials.Credential(store)
	return c, nil
}

// CredentialStore opens the Docker credential store at path (empty: DOCKER_CONFIG or
// ~/.docker/config.json), with credential helpers.
func CredentialStore(path string) (credentials.Store, error) {
	opts := credentials.StoreOptions{AllowPlaintextPut: true, DetectDefaultNativeStore: true}
	var (
		s   *credentials.DynamicStore
		err error
	)
	if path != "" {
		s, err = credentials.NewStore(path, opts)
	} else {
		s, err = credentials.NewStoreFromDocker(opts)
	}
	if err != nil {
		return nil, fmt.Errorf("credential store: %w", err)
	}
	return s, nil
}
