package target

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"

	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Client builds the auth client used for host (host[:port] as written in references).
//
// Its requests go through, outermost first:
//
//	custom headers (--header) dropped unless the request is for host itself
//	debug log (--debug), of what is actually sent
//	routing: host gets the client certificate (--cert-file), others do not
//	oras-go's retry transport
//	http.Transport: TLS (--insecure, --ca-file), dial rules (--resolve)
//
// so a client certificate and custom headers reach the registry only, never a blob
// storage it redirects to or a token service elsewhere.
func (o Options) Client(host string) (*auth.Client, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	headers, err := ParseHeaders(o.Headers)
	if err != nil {
		return nil, err
	}
	rules, err := ParseResolve(append(slices.Clone(o.baseResolve), o.Resolve...))
	if err != nil {
		return nil, err
	}
	tlsConfig, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	// Parallel blob transfers and ranged downloads keep up to --concurrency connections (and
	// DefaultSmallConcurrency for small blobs) per registry busy; keep that many idle ones
	// too, so connections are reused rather than opened again (Go keeps 2 by default).
	base.MaxIdleConnsPerHost = max(base.MaxIdleConnsPerHost, o.Concurrency, DefaultSmallConcurrency)
	base.TLSClientConfig = tlsConfig
	// HTTP/1.1 even where the registry offers HTTP/2. Registries written in Go (distribution,
	// zot) keep Go's HTTP/2 receive window of 1 MiB per connection, so all the uploads
	// multiplexed on it share 1 MiB per round trip: a 256 MiB push over TLS at 20 ms took
	// 6.4 s over HTTP/2 and 1.3 s over HTTP/1.1, whose connections each get the window the
	// kernel grows. Pulls too were faster over several connections than over one.
	base.Protocols = new(http.Protocols)
	base.Protocols.SetHTTP1(true)
	base.DialContext = rules.dialer(base.DialContext)

	origin := newOrigin(o.PlainHTTPFor(host), registry.Reference{Registry: host}.Host())
	var tr http.RoundTripper = retry.NewTransport(base)
	if len(tlsConfig.Certificates) > 0 {
		anon := base.Clone()
		anon.TLSClientConfig = tlsConfig.Clone()
		anon.TLSClientConfig.Certificates = nil
		tr = &routeByOrigin{origin: origin, registry: tr, other: retry.NewTransport(anon)}
	}
	if o.Debug {
		tr = newDebugTransport(tr, o.debugLog(), slices.Sorted(maps.Keys(headers)))
	}
	if len(headers) > 0 {
		tr = &scopeHeaders{origin: origin, names: slices.Sorted(maps.Keys(headers)), next: tr}
	}
	c := &auth.Client{
		Client: &http.Client{Transport: tr},
		Cache:  auth.NewCache(),
	}
	c.SetUserAgent("eopack")
	for name, values := range headers {
		c.Header[name] = values // a custom User-Agent replaces eopack's
	}
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

// tlsConfig is the TLS client configuration: --insecure, --ca-file (replacing the system
// roots, as ORAS does) and the --cert-file/--key-file pair.
func (o Options) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: o.Insecure}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--%sca-file: %w", o.prefix, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--%sca-file: failed to load certificate in file: %s (no PEM certificate)", o.prefix, o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.CertFile != "" && o.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("--%scert-file %s, --%skey-file %s: %w", o.prefix, o.CertFile, o.prefix, o.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func (o Options) debugLog() io.Writer {
	if o.DebugLog != nil {
		return o.DebugLog
	}
	return os.Stderr
}

// origin is a scheme and host:port, with the scheme's default port made explicit.
type origin struct{ scheme, host, port string }

func newOrigin(plainHTTP bool, authority string) origin {
	scheme := "https"
	if plainHTTP {
		scheme = "http"
	}
	return originOf(scheme, authority)
}

func originOf(scheme, authority string) origin {
	scheme = strings.ToLower(scheme)
	port := "443"
	if scheme == "http" {
		port = "80"
	}
	host, p, err := net.SplitHostPort(authority)
	if err != nil {
		host = strings.Trim(authority, "[]")
	} else if p != "" {
		port = p
	}
	return origin{scheme: scheme, host: strings.ToLower(host), port: port}
}

// sameAs reports whether req goes to o. IP literals are compared as addresses, so "::1" and
// "0:0::1" are one host.
func (o origin) sameAs(req *http.Request) bool {
	r := originOf(req.URL.Scheme, req.URL.Host)
	if r.scheme != o.scheme || r.port != o.port {
		return false
	}
	a, b := net.ParseIP(r.host), net.ParseIP(o.host)
	if a != nil || b != nil {
		return a != nil && b != nil && a.Equal(b)
	}
	return r.host == o.host
}

// routeByOrigin sends requests for the registry through one transport (with the client
// certificate) and all others through another (without).
type routeByOrigin struct {
	origin          origin
	registry, other http.RoundTripper
}

func (t *routeByOrigin) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.origin.sameAs(req) {
		return t.registry.RoundTrip(req)
	}
	return t.other.RoundTrip(req)
}

// scopeHeaders drops the custom headers from requests that do not go to the registry.
type scopeHeaders struct {
	origin origin
	names  []string
	next   http.RoundTripper
}

func (t *scopeHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.origin.sameAs(req) {
		req = req.Clone(req.Context())
		for _, n := range t.names {
			req.Header.Del(n)
		}
	}
	return t.next.RoundTrip(req)
}
