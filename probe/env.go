package probe

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/eopack/eopack/target"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// Options configure a probe of one registry. The zero value of every field but Registry works.
type Options struct {
	// Registry is host[:port].
	Registry string
	// Repository is the scratch repository; empty means eopack-probe/<random>.
	Repository string
	// Scheme is "http" or "https"; empty means http for localhost and loopback addresses
	// (as ORAS does), https otherwise.
	Scheme string
	// Insecure skips TLS certificate verification.
	Insecure bool
	// Credential resolves credentials for a host (e.g. from the Docker config via
	// oras-go's credentials package, or static -u/-p). Nil means anonymous.
	Credential auth.CredentialFunc
	// MaxBlob is the largest blob the blob-size check tries; 0 means DefaultMaxBlob.
	MaxBlob int64
	// Timeout limits each check; 0 means DefaultTimeout.
	Timeout time.Duration
	// Only restricts the run to these check IDs (reach and auth always run).
	Only []string
	// Transport overrides the HTTP transport (tests).
	Transport http.RoundTripper
}

const (
	// DefaultMaxBlob keeps a default run quick and cheap.
	DefaultMaxBlob = 64 << 20
	// DefaultTimeout is the time limit of one check.
	DefaultTimeout = 60 * time.Second
)

// Env is what a check works with: the registry, the scratch repositories, HTTP clients, and
// per-check bookkeeping of evidence and of what to delete afterwards.
type Env struct {
	Registry string
	Repo     string // scratch repository
	Src      string // second scratch repository, the source of cross-repo mounts
	MaxBlob  int64
	RunID    string // random, makes every run's content unique

	base   string       // scheme://host
	client *auth.Client // authenticated
	raw    *http.Client // no credentials, to observe challenges

	mu        sync.Mutex
	trace     []string
	manifests []pushed // in push order
	blobs     []pushed
	uploads   []string // upload session URLs to cancel
}

type pushed struct {
	repo, ref string
	tag       string // tag the manifest was pushed under, if any
}

// newEnv builds the shared environment of one registry's probe.
func newEnv(o Options) *Env {
	host := o.Registry
	scheme := o.Scheme
	if scheme == "" {
		scheme = "https"
		if target.IsLoopback(host) {
			scheme = "http"
		}
	}
	tr := o.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		if o.Insecure {
			t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // user asked for --insecure
		}
		tr = t
	}
	httpClient := &http.Client{Transport: tr}
	ac := &auth.Client{
		Client:     httpClient,
		Cache:      auth.NewCache(),
		Credential: o.Credential,
		Header:     http.Header{"User-Agent": {"eopack-probe"}},
	}
	if target.IsLoopback(host) {
		// A registry on this machine may well have its token realm on this machine too.
		ac.BlockedRealmPrefixes = []netip.Prefix{}
	}
	repo := o.Repository
	if repo == "" {
		repo = "eopack-probe/" + randomHex(4)
	}
	maxBlob := o.MaxBlob
	if maxBlob <= 0 {
		maxBlob = DefaultMaxBlob
	}
	return &Env{
		Registry: host,
		Repo:     repo,
		Src:      repo + "-src",
		MaxBlob:  maxBlob,
		RunID:    randomHex(8),
		base:     scheme + "://" + host,
		client:   ac,
		raw:      httpClient,
	}
}

// fork gives a check its own evidence and cleanup lists over the shared clients.
func (e *Env) fork() *Env {
	return &Env{Registry: e.Registry, Repo: e.Repo, Src: e.Src, MaxBlob: e.MaxBlob, RunID: e.RunID,
		base: e.base, client: e.client, raw: e.raw}
}

// scopes asks bearer-token registries for everything the checks do, up front, so one token
// covers a whole check.
func (e *Env) scopes(ctx context.Context) context.Context {
	return auth.WithScopesForHost(ctx, e.Registry,
		auth.ScopeRepository(e.Repo, auth.ActionPull, auth.ActionPush, auth.ActionDelete),
		auth.ScopeRepository(e.Src, auth.ActionPull, auth.ActionPush, auth.ActionDelete))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// payload is a request body that can be opened again (auth retries need to rewind).
type payload struct {
	size int64
	open func() io.Reader
}

func bytesBody(b []byte) *payload {
	return &payload{size: int64(len(b)), open: func() io.Reader { return bytes.NewReader(b) }}
}

// Response is what a request returned. Body is read up to maxBody bytes.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	URL    *url.URL // the request URL after redirects, to resolve Location against
}

const maxBody = 16 << 20

// Location resolves the response's Location header against the request URL.
func (r *Response) Location() string {
	loc := r.Header.Get("Location")
	if loc == "" || r.URL == nil {
		return loc
	}
	u, err := r.URL.Parse(loc)
	if err != nil {
		return loc
	}
	return u.String()
}

// ErrorCode returns the first OCI error code in the body, if any.
func (r *Response) ErrorCode() string {
	var eb struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(r.Body, &eb) == nil && len(eb.Errors) > 0 {
		return eb.Errors[0].Code
	}
	return ""
}

// String is "status CODE" for summaries.
func (r *Response) String() string {
	if c := r.ErrorCode(); c != "" {
		return fmt.Sprintf("%d %s", r.Status, c)
	}
	return fmt.Sprint(r.Status)
}

// do sends one authenticated request. target is a path (/v2/…) or an absolute URL (an
// upload Location). Every exchange is recorded in the check's evidence.
func (e *Env) do(ctx context.Context, method, target string, body *payload, hdr http.Header) (*Response, error) {
	return e.send(ctx, e.client.Do, method, target, body, hdr)
}

// doRaw sends one request without credentials.
func (e *Env) doRaw(ctx context.Context, method, target string) (*Response, error) {
	return e.send(ctx, e.raw.Do, method, target, nil, nil)
}

func (e *Env) send(ctx context.Context, doer func(*http.Request) (*http.Response, error), method, target string, body *payload, hdr http.Header) (*Response, error) {
	u := target
	if strings.HasPrefix(target, "/") {
		u = e.base + target
	}
	var rd io.Reader
	if body != nil {
		rd = body.open()
	}
	req, err := http.NewRequestWithContext(e.scopes(ctx), method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = body.size
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(body.open()), nil }
		if body.size == 0 {
			req.Body = http.NoBody
			req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := doer(req)
	if err != nil {
		e.record("%s %s → error: %v", method, shortURL(u), shortErr(err))
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: b, URL: resp.Request.URL}
	e.record("%s %s → %s%s", method, shortURL(u), r.String(), notableHeaders(resp.Header, strings.HasSuffix(u, "/v2/")))
	if err != nil {
		return r, fmt.Errorf("reading response of %s %s: %w", method, shortURL(u), err)
	}
	return r, nil
}

func (e *Env) record(format string, a ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.trace = append(e.trace, fmt.Sprintf(format, a...))
}

// notable are the headers worth keeping as evidence.
var notable = []string{
	"Www-Authenticate", "Docker-Content-Digest", "Range",
	"Content-Range", "Oci-Chunk-Min-Length", "Link", "Oci-Filters-Applied", "Oci-Subject",
}

// notableHeaders lists the notable headers present; the API version header only when asked
// (on GET /v2/), since registries repeat it on every answer.
func notableHeaders(h http.Header, apiVersion bool) string {
	var parts []string
	keys := notable
	if apiVersion {
		keys = append([]string{"Docker-Distribution-Api-Version"}, notable...)
	}
	for _, k := range keys {
		if v := h.Get(k); v != "" {
			parts = append(parts, k+": "+shorten(shortDigests(v), 120))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " [" + strings.Join(parts, "; ") + "]"
}

// shortURL drops the scheme and host and shortens long query values (upload state tokens).
func shortURL(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	s := shortDigests(pu.EscapedPath())
	if q := pu.Query(); len(q) > 0 {
		var parts []string
		for k, vs := range q {
			for _, v := range vs {
				parts = append(parts, k+"="+shorten(v, 24))
			}
		}
		s += "?" + strings.Join(sortStrings(parts), "&")
	}
	return s
}

var longDigest = regexp.MustCompile(`(sha256|sha512):([0-9a-f]{12})[0-9a-f]{20,}`)

// shortDigests abbreviates digests in evidence to 12 hex digits, as docker and crane print.
func shortDigests(s string) string { return longDigest.ReplaceAllString(s, "$1:$2…") }

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// shortErr keeps what matters of a transport error: "connection refused", "i/o timeout",
// "context deadline exceeded", a TLS or DNS failure.
func shortErr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		s := op.Err.Error()
		// The table's column already names the host: keep the operation and the reason.
		return shorten(op.Op+": "+strings.TrimPrefix(s, "connect: "), 160)
	}
	s := err.Error()
	if i := strings.LastIndex(s, "\": "); i >= 0 { // net/http: `Get "URL": reason`
		s = s[i+3:]
	}
	return shorten(s, 160)
}

// Cleanup bookkeeping: what a check pushed, deleted by the runner afterwards.

func (e *Env) trackManifest(repo, digest, tag string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.manifests = append(e.manifests, pushed{repo: repo, ref: digest, tag: tag})
}

func (e *Env) trackBlob(repo, digest string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.blobs {
		if b.repo == repo && b.ref == digest {
			return
		}
	}
	e.blobs = append(e.blobs, pushed{repo: repo, ref: digest})
}

func (e *Env) trackUpload(loc string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.uploads = append(e.uploads, loc)
}

func (e *Env) untrackUpload(loc string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, u := range e.uploads {
		if u == loc {
			e.uploads = append(e.uploads[:i], e.uploads[i+1:]...)
			return
		}
	}
}
