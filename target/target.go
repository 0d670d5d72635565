package target

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// Options says how to reach a remote registry. The zero value works: HTTPS, credentials from
// the Docker config (DOCKER_CONFIG or ~/.docker/config.json) and its credential helpers.
type Options struct {
	PlainHTTP      bool   // use http:// (automatic for localhost, 127.0.0.1 and [::1] unless --plain-http=false)
	Insecure       bool   // skip TLS certificate verification
	Username       string // static credential (-u)
	Password       string // static credential (-p or --identity-token), or read by ReadPassword from stdin
	PasswordStdin  bool   // --password-stdin or --identity-token-stdin
	RegistryConfig string // docker config.json path; empty = DOCKER_CONFIG / ~/.docker
	Concurrency    int    // parallel blob transfers; 0 = default (5, as ORAS)

	CAFile   string   // PEM certificates that replace the system roots for the registry
	CertFile string   // PEM client certificate (mTLS), with KeyFile
	KeyFile  string   // PEM private key of CertFile
	Headers  []string // "name: value" sent on every request to the registry
	Resolve  []string // host:port:address[:address_port] dial rules, later ones win

	Debug    bool      // log HTTP requests and responses (credentials redacted)
	DebugLog io.Writer // where Debug logs go; nil = os.Stderr
	NoTTY    bool      // ORAS's --no-tty: plain status lines, no progress bars, even on a terminal

	// DistributionSpec picks how referrers are listed and pushed: SpecReferrersAPI,
	// SpecReferrersTag, or "" / "unknown" to detect (oras-go's default).
	DistributionSpec string
	// LayoutPath names an OCI layout folder; the reference argument is then only a tag or
	// digest inside it (ORAS's --oci-layout-path).
	LayoutPath string

	prefix       string // flag name prefix ("from-", "to-"), for error messages
	baseResolve  []string
	changed      func(name string) bool
	plainHTTPSet func() bool
	// concurrencySet reports whether --concurrency was given (nil: Options built without flags)
	concurrencySet func() bool
}

// DefaultConcurrency is ORAS's default --concurrency.
const DefaultConcurrency = 5

// AddFlags declares ORAS's remote flags: --plain-http, --insecure, -u/--username,
// -p/--password, --identity-token, --password-stdin, --identity-token-stdin,
// --registry-config, --ca-file, --cert-file, --key-file, -H/--header, --resolve, -d/--debug
// and --no-tty. AddDistributionSpecFlag and AddLayoutPathFlag add the verb-specific ones.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	o.AddFlagsWithPrefix(fs, "", "")
	fs.BoolVar(&o.PasswordStdin, "password-stdin", false, "read password from stdin")
	fs.BoolVar(&o.PasswordStdin, "identity-token-stdin", false, "read identity token from stdin")
	AddSharedFlags(fs, o)
}

// AddFlagsWithPrefix declares the per-registry flags named "<prefix>-plain-http" etc. (as
// ORAS's cp does with "from" and "to"); description names the side ("source ",
// "destination "). Short forms exist only without a prefix; with one, the side's
// --<prefix>-distribution-spec and --<prefix>-oci-layout-path come too, and AddSharedFlags
// declares the flags both sides share (--debug, --no-tty, --resolve).
func (o *Options) AddFlagsWithPrefix(fs *pflag.FlagSet, prefix, description string) {
	p := ""
	if prefix != "" {
		p = prefix + "-"
	}
	o.prefix = p
	o.changed = func(name string) bool { return fs.Changed(p + name) }
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
	fs.StringVar(&o.Password, p+"identity-token", "", description+"registry identity token")
	fs.StringVar(&o.RegistryConfig, p+"registry-config", "", "`path` of the authentication file for "+description+"registry")
	fs.StringVar(&o.CAFile, p+"ca-file", "", "server certificate authority file for the remote "+description+"registry")
	fs.StringVar(&o.CertFile, p+"cert-file", "", "client certificate file for the remote "+description+"registry")
	fs.StringVar(&o.KeyFile, p+"key-file", "", "client private key file for the remote "+description+"registry")
	fs.StringArrayVarP(&o.Headers, p+"header", short("H"), nil, "add custom headers to "+description+"requests")
	fs.StringArrayVar(&o.Resolve, p+"resolve", nil, "customized DNS for "+description+"registry, formatted in `host:port:address[:address_port]`")
	if prefix != "" {
		o.AddDistributionSpecFlag(fs)
		o.addLayoutPathFlag(fs, description)
	}
}

// AddSharedFlags declares -d/--debug and --no-tty for every Options in opts; with more than
// one (cp's source and destination) also --resolve, whose rules come before each side's own.
func AddSharedFlags(fs *pflag.FlagSet, opts ...*Options) {
	debug, noTTY := &multiBool{}, &multiBool{}
	for _, o := range opts {
		debug.to = append(debug.to, &o.Debug)
		noTTY.to = append(noTTY.to, &o.NoTTY)
	}
	fs.VarPF(debug, "debug", "d", "print HTTP requests and responses to stderr, credentials redacted (implies --no-tty)").NoOptDefVal = "true"
	fs.VarPF(noTTY, "no-tty", "", "[Preview] do not show progress bars (drawn on stderr when stdout and stderr are terminals)").NoOptDefVal = "true"
	if len(opts) > 1 {
		base := &multiArray{}
		for _, o := range opts {
			base.to = append(base.to, &o.baseResolve)
		}
		fs.Var(base, "resolve", "base DNS rules formatted in `host:port:address[:address_port]` for --from-resolve and --to-resolve")
	}
}

// DefaultSmallConcurrency is how many small blobs (transfer.SmallBlobSize) are in flight
// unless --concurrency is given: enough to hide the round trips of a registry on a LAN or
// loopback, few enough for the connection limits registries ship with.
const DefaultSmallConcurrency = 32

// AddConcurrencyFlag declares ORAS's --concurrency.
func (o *Options) AddConcurrencyFlag(fs *pflag.FlagSet) {
	fs.IntVar(&o.Concurrency, "concurrency", DefaultConcurrency, "concurrency level (large blobs; small ones go "+strconv.Itoa(DefaultSmallConcurrency)+" at once unless this is given)")
	o.concurrencySet = func() bool { return fs.Changed("concurrency") }
}

// SmallConcurrency is how many small blobs go at once: DefaultSmallConcurrency when
// --concurrency was not given, else 0 (--concurrency then bounds every transfer, as in ORAS).
func (o Options) SmallConcurrency() int {
	if o.concurrencySet != nil && !o.concurrencySet() {
		return DefaultSmallConcurrency
	}
	return 0
}

// ReadPassword checks the credential flags (see Check) and, with --password-stdin or
// --identity-token-stdin, reads the secret from in (first line, trailing newline removed).
func (o *Options) ReadPassword(in io.Reader) error {
	if err := o.Check(); err != nil {
		return err
	}
	if !o.PasswordStdin {
		return nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("reading password from stdin: %w", err)
	}
	o.Password = strings.TrimRight(line, "\r\n")
	return nil
}

// StdinFlag names the flag that reads a secret from stdin ("--password-stdin" or
// "--identity-token-stdin"), or is empty when none was given.
func (o *Options) StdinFlag() string {
	for _, name := range []string{"password-stdin", "identity-token-stdin"} {
		if o.isSet(name) {
			return "--" + name
		}
	}
	return ""
}

// SecretWarning is ORAS's warning for a secret typed on the command line, or empty.
func (o *Options) SecretWarning() string {
	switch {
	case o.isSet("identity-token"):
		return "WARNING! Using --identity-token via the CLI is insecure. Use --identity-token-stdin."
	case o.isSet("password"):
		return "WARNING! Using --password via the CLI is insecure. Use --password-stdin."
	}
	return ""
}

// Check refuses flag combinations ORAS refuses, in ORAS's words: a username or password
// together with an identity token, a secret given twice, and a client certificate without
// its key (or the reverse).
func (o *Options) Check() error {
	for _, set := range [][]string{
		{"username", "identity-token", "identity-token-stdin"},
		{"password", "identity-token", "identity-token-stdin", "password-stdin"},
	} {
		if given := o.given(set); len(given) > 1 {
			return fmt.Errorf("%s cannot be used at the same time", strings.Join(given, ", "))
		}
	}
	pair := []string{"cert-file", "key-file"}
	if given := o.given(pair); len(given) == 1 {
		other := "--" + o.prefix + pair[0]
		if given[0] == other {
			other = "--" + o.prefix + pair[1]
		}
		return fmt.Errorf("%s must be used in conjunction with %s", given[0], other)
	}
	return nil
}

// given lists the flags of names that were set, as "--<prefix><name>".
func (o *Options) given(names []string) []string {
	var out []string
	for _, n := range names {
		if o.isSet(n) {
			out = append(out, "--"+o.prefix+n)
		}
	}
	return out
}

// isSet reports whether the flag name (without prefix) was given; Options built without
// flags answer from their fields.
func (o *Options) isSet(name string) bool {
	if o.changed != nil {
		return o.changed(name)
	}
	switch name {
	case "cert-file":
		return o.CertFile != ""
	case "key-file":
		return o.KeyFile != ""
	}
	return false
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

// OpenExisting is Open for a source: a layout folder must already hold an OCI layout; a
// layout in a tar archive is opened read-only (layouttar.go).
func OpenExisting(ctx context.Context, r Ref, o Options) (oras.GraphTarget, error) {
	if r.Layout {
		return openExistingLayout(ctx, r.Path)
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
	if err := o.applyDistributionSpec(repo); err != nil {
		return nil, err
	}
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
