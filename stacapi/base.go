package stacapi

import (
	"net/http"
	"net/url"
	"strings"
)

// urls are the absolute URLs a response links to, built from the request.
type urls struct {
	origin string // scheme://host, where the registry's /v2/ is served
	root   string // the API's root, origin + mount prefix, without a trailing slash
	host   string // the request's host[:port]
}

// baseURLs builds the origin and API root of a request: the scheme is https for TLS
// connections, the host is the Host header; X-Forwarded-Proto, X-Forwarded-Host and
// X-Forwarded-Prefix (set by a reverse proxy) take precedence. The mount prefix is what
// http.StripPrefix took off the request's path.
func baseURLs(r *http.Request) urls {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
		host = h
	}
	prefix := strings.TrimSuffix(firstValue(r.Header.Get("X-Forwarded-Prefix")), "/") + mountPrefix(r)
	origin := scheme + "://" + host
	return urls{origin: origin, root: origin + prefix, host: host}
}

// firstValue is the first of a comma-separated header value (proxies append theirs).
func firstValue(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

// mountPrefix is the part of the request's path that a StripPrefix in front of the API took
// off: the original path (RequestURI) minus the path the API sees.
func mountPrefix(r *http.Request) string {
	orig := r.RequestURI
	if i := strings.IndexByte(orig, '?'); i >= 0 {
		orig = orig[:i]
	}
	if u, err := url.Parse(orig); err == nil && u.Path != "" {
		orig = u.EscapedPath()
	}
	seen := r.URL.EscapedPath()
	if p, ok := strings.CutSuffix(orig, seen); ok {
		return strings.TrimSuffix(p, "/")
	}
	return ""
}

// at is the absolute URL of a path below the API's root; segments are escaped.
func (u urls) at(segs ...string) string {
	var b strings.Builder
	b.WriteString(u.root)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	if len(segs) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}
