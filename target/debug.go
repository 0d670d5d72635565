package target

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// debugTransport logs each request and its response (--debug) in ORAS's layout:
//
//	[2026-01-02T03:04:05.06Z][DEBUG]: --> Request #0
//	> Request URL: "https://reg.example/v2/eo/products/manifests/v1"
//	> Request method: "GET"
//	> Request headers:
//	   "Authorization": "*****"
//
// Credentials never appear: Authorization, cookies and the custom --header values are
// masked, URL query values (presigned URL signatures) and user info replaced by REDACTED,
// and a response body is printed only when it is short JSON or text with no token field.
type debugTransport struct {
	next      http.RoundTripper
	mu        sync.Mutex // one entry is written whole
	w         io.Writer
	sensitive []string
}

// debugRequests numbers requests across all clients of the process.
var debugRequests atomic.Uint64

func newDebugTransport(next http.RoundTripper, w io.Writer, sensitive []string) *debugTransport {
	s := append([]string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}, sensitive...)
	return &debugTransport{next: next, w: w, sensitive: s}
}

func (t *debugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	id := debugRequests.Add(1) - 1
	t.log("DEBUG", "--> Request #%d\n> Request URL: %q\n> Request method: %q\n> Request headers:\n%s",
		id, redactURL(req.URL), req.Method, t.headers(req.Header))
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.log("ERROR", "<-- Response #%d\nError in getting response: %v", id, err)
		return resp, err
	}
	t.log("DEBUG", "<-- Response #%d\n< Response Status: %q\n< Response headers:\n%s\n< Response body:\n%s",
		id, resp.Status, t.headers(resp.Header), peekBody(resp))
	return resp, nil
}

func (t *debugTransport) log(level, format string, a ...any) {
	msg := fmt.Sprintf("[%s][%s]: %s\n\n\n", time.Now().UTC().Format(time.RFC3339Nano), level, fmt.Sprintf(format, a...))
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, msg)
}

// headers prints h one field a line, sorted, with sensitive values masked.
func (t *debugTransport) headers(h http.Header) string {
	if len(h) == 0 {
		return "   Empty header"
	}
	var lines []string
	for name, values := range h {
		v := strings.Join(values, ", ")
		switch {
		case slices.ContainsFunc(t.sensitive, func(s string) bool { return strings.EqualFold(s, name) }):
			v = "*****"
		case strings.EqualFold(name, "Location"), strings.EqualFold(name, "Content-Location"), strings.EqualFold(name, "Referer"):
			if u, err := url.Parse(v); err == nil {
				v = redactURL(u)
			} else {
				v = "REDACTED"
			}
		}
		lines = append(lines, fmt.Sprintf("   %q: %q", name, v))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// redactURL prints u with user info and every query value replaced by REDACTED.
func redactURL(u *url.URL) string {
	r := *u
	if r.User != nil {
		r.User = url.User("REDACTED")
	}
	q := r.Query()
	for k := range q {
		q[k] = []string{"REDACTED"}
	}
	r.RawQuery = q.Encode()
	return r.String()
}

// debugBodyLimit is the largest response body printed.
const debugBodyLimit = 16 << 10

// peekBody returns what to print for resp's body, leaving the body readable in full.
func peekBody(resp *http.Response) string {
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case resp.Body == nil || resp.Body == http.NoBody:
		return "   No response body to print"
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return "   Response body for redirect is not printed"
	case ct == "":
		return "   Response body without a content type is not printed"
	case mt != "application/json" && mt != "text/plain" && mt != "text/html" && !strings.HasSuffix(mt, "+json"):
		return fmt.Sprintf("   Response body of content type %q is not printed", ct)
	}
	var buf bytes.Buffer
	_, err := io.CopyN(&buf, resp.Body, debugBodyLimit+1)
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf.Bytes()), resp.Body), resp.Body}
	switch {
	case err != nil && err != io.EOF:
		return fmt.Sprintf("   Error reading response body: %v", err)
	case buf.Len() == 0:
		return "   Response body is empty"
	case buf.Len() > debugBodyLimit:
		return "   Response body exceeding the trace size limit is not printed"
	case hasTokenField(buf.Bytes()):
		return "   Response body redacted due to potential credentials"
	}
	return buf.String()
}

// tokenFields are the JSON fields of token responses (distribution's token auth, OAuth2).
var tokenFields = []string{"token", "access_token", "refresh_token", "id_token", "identity_token"}

// hasTokenField reports whether body is JSON with a token-like field at any depth, or is
// not JSON but mentions one.
func hasTokenField(body []byte) bool {
	isToken := func(k string) bool { return slices.Contains(tokenFields, strings.ToLower(k)) }
	var v any
	if json.Unmarshal(body, &v) != nil {
		lower := strings.ToLower(string(body))
		for _, k := range tokenFields {
			if strings.Contains(lower, `"`+k+`"`) {
				return true
			}
		}
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if isToken(k) || walk(c) {
					return true
				}
			}
		case []any:
			return slices.ContainsFunc(v, walk)
		}
		return false
	}
	return walk(v)
}
