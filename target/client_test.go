package target

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

func TestParseHeaders(t *testing.T) {
	h, err := ParseHeaders([]string{"X-Team: eo", "x-team:  sar ", "X-Empty:", "Accept-Language:en:GB"})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Values("X-Team"); len(got) != 2 || got[0] != "eo" || got[1] != "sar" {
		t.Errorf("X-Team = %q", got)
	}
	if got, ok := h["X-Empty"]; !ok || got[0] != "" {
		t.Errorf("X-Empty = %q, %v", got, ok)
	}
	if got := h.Get("Accept-Language"); got != "en:GB" {
		t.Errorf("Accept-Language = %q", got)
	}
	for _, bad := range []string{"no-colon", ": value", " : v", "bad name: v", "x\r\ny: v", "X-A: b\nc"} {
		if _, err := ParseHeaders([]string{bad}); err == nil || !strings.Contains(err.Error(), "invalid header: ") {
			t.Errorf("ParseHeaders(%q) = %v, want invalid header", bad, err)
		}
	}
}

func TestParseResolve(t *testing.T) {
	rules, err := ParseResolve([]string{
		"Reg.Example:443:127.0.0.1",
		"reg.example:5000:10.0.0.1:6000",
		"reg.example:5000:10.0.0.2:7000", // later wins
		"v6.example:443:::1",
		"v6.example:80:[::1]:8080",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := resolveRules{
		"reg.example:443":  "127.0.0.1:443",
		"reg.example:5000": "10.0.0.2:7000",
		"v6.example:443":   "[::1]:443",
		"v6.example:80":    "[::1]:8080",
	}
	if len(rules) != len(want) {
		t.Fatalf("rules = %v", rules)
	}
	for k, v := range want {
		if rules[k] != v {
			t.Errorf("rules[%s] = %q, want %q", k, rules[k], v)
		}
	}
	for in, msg := range map[string]string{
		"reg.example":               "expecting host:port:address[:address_port]",
		"reg.example:443":           "expecting host:port:address[:address_port]",
		"reg.example:https:1.2.3.4": "expecting uint64 host port",
		"reg.example:70000:1.2.3.4": "expecting uint64 host port",
		"reg.example:443:not-an-ip": "invalid IP address",
		"reg.example:443:1.2.3.4:x": "expecting uint64 address port",
		"reg.example:443:host:5000": "invalid IP address",
		":443:1.2.3.4":              "expecting host:port:address[:address_port]",
	} {
		_, err := ParseResolve([]string{in})
		if err == nil || err.Error() != `failed to parse resolve flag "`+in+`": `+msg {
			t.Errorf("ParseResolve(%q) = %v, want %q", in, err, msg)
		}
	}
}

// tlsServer is an httptest server with a certificate for registry.test and 127.0.0.1 from
// a fresh CA, asking for client certificates from that CA as auth says. It records the
// request headers and the number of client certificates it sees.
type tlsServer struct {
	*httptest.Server
	ca      *testpeer.CA
	mu      sync.Mutex
	headers []http.Header
	certs   int
}

func newTLSServer(t *testing.T, auth tls.ClientAuthType, h http.HandlerFunc) *tlsServer {
	t.Helper()
	s := &tlsServer{ca: testpeer.NewCA(t)}
	certFile, keyFile := s.ca.Issue(t, "registry.test", "127.0.0.1")
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.headers = append(s.headers, r.Header.Clone())
		s.certs += len(r.TLS.PeerCertificates)
		s.mu.Unlock()
		h(w, r)
	}))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(readFile(t, s.ca.CertFile))
	s.TLS.ClientCAs, s.TLS.ClientAuth = pool, auth
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *tlsServer) host() string { return strings.TrimPrefix(s.URL, "https://") }

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

// get sends GET url through o's client for host, over HTTPS even on loopback (as
// --plain-http=false does).
func get(t *testing.T, o Options, host, url string) error {
	t.Helper()
	o.plainHTTPSet = func() bool { return true }
	c, err := o.Client(host)
	if err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func TestClientCAFile(t *testing.T) {
	s := newTLSServer(t, tls.NoClientCert, ok)
	err := get(t, Options{}, s.host(), s.URL+"/v2/")
	if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("without --ca-file: %v", err)
	}
	if err := Explain(err, Ref{Registry: s.host()}); !strings.Contains(err.Error(), "unknown authority (trust the registry's CA with --ca-file") {
		t.Errorf("Explain: %v", err)
	}
	if err := get(t, Options{CAFile: s.ca.CertFile}, s.host(), s.URL+"/v2/"); err != nil {
		t.Errorf("with --ca-file: %v", err)
	}
	if err := get(t, Options{Insecure: true}, s.host(), s.URL+"/v2/"); err != nil {
		t.Errorf("with --insecure: %v", err)
	}
	// --resolve: the certificate is checked against the name, the connection goes to the IP.
	_, port, _ := net.SplitHostPort(s.host())
	o := Options{CAFile: s.ca.CertFile, Resolve: []string{"registry.test:" + port + ":127.0.0.1"}}
	if err := get(t, o, "registry.test:"+port, "https://registry.test:"+port+"/v2/"); err != nil {
		t.Errorf("with --resolve: %v", err)
	}
	o.baseResolve, o.Resolve = o.Resolve, nil // cp's --resolve
	if err := get(t, o, "registry.test:"+port, "https://registry.test:"+port+"/v2/"); err != nil {
		t.Errorf("with a base --resolve: %v", err)
	}

	missing := Options{CAFile: "nope.pem"}
	if _, err := missing.Client("r.example"); err == nil || !strings.Contains(err.Error(), "--ca-file: open nope.pem: no such file or directory") {
		t.Errorf("missing CA file: %v", err)
	}
	notPEM := Options{CAFile: writeTemp(t, "junk"), prefix: "from-"}
	if _, err := notPEM.Client("r.example"); err == nil || !strings.Contains(err.Error(), "--from-ca-file: failed to load certificate") {
		t.Errorf("CA file without PEM: %v", err)
	}
}

func TestClientMTLS(t *testing.T) {
	s := newTLSServer(t, tls.RequireAndVerifyClientCert, ok)
	if err := get(t, Options{CAFile: s.ca.CertFile}, s.host(), s.URL+"/v2/"); err == nil {
		t.Error("mTLS registry accepted a client without certificate")
	}
	cert, key := s.ca.Issue(t, "eopack client")
	o := Options{CAFile: s.ca.CertFile, CertFile: cert, KeyFile: key}
	if err := get(t, o, s.host(), s.URL+"/v2/"); err != nil {
		t.Errorf("with --cert-file/--key-file: %v", err)
	}
	o.KeyFile = ""
	if _, err := o.Client(s.host()); err == nil || err.Error() != "--cert-file must be used in conjunction with --key-file" {
		t.Errorf("cert without key: %v", err)
	}
	o.KeyFile = o.CertFile
	if _, err := o.Client(s.host()); err == nil || !strings.Contains(err.Error(), "--key-file") {
		t.Errorf("a certificate as key: %v", err)
	}
}

// Custom headers and the client certificate go to the registry only, not to where it
// redirects (blob storage) or to its token service.
func TestClientScopesHeadersAndCertificate(t *testing.T) {
	storage := newTLSServer(t, tls.RequestClientCert, ok)
	reg := newTLSServer(t, tls.RequireAndVerifyClientCert, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, storage.URL+"/blob?X-Amz-Signature=secret", http.StatusTemporaryRedirect)
	})
	cert, key := reg.ca.Issue(t, "eopack client")
	roots := writeTemp(t, string(readFile(t, reg.ca.CertFile))+string(readFile(t, storage.ca.CertFile)))
	var logged bytes.Buffer
	o := Options{CAFile: roots, CertFile: cert, KeyFile: key, Headers: []string{"X-Team: eo", "User-Agent: custom/1"}, Debug: true, DebugLog: &logged}
	if err := get(t, o, reg.host(), reg.URL+"/v2/r/blobs/sha256:x"); err != nil {
		t.Fatal(err)
	}
	if got := reg.headers[0]; got.Get("X-Team") != "eo" || got.Get("User-Agent") != "custom/1" {
		t.Errorf("registry saw %v", got)
	}
	if len(storage.headers) != 1 || storage.headers[0].Get("X-Team") != "" {
		t.Errorf("storage saw %v", storage.headers)
	}
	if storage.certs != 0 || reg.certs != 1 {
		t.Errorf("client certificates: %d to the storage, %d to the registry", storage.certs, reg.certs)
	}
	out := logged.String()
	for _, want := range []string{`"X-Team": "*****"`, `X-Amz-Signature=REDACTED`, `> Request method: "GET"`, `< Response Status: "307 Temporary Redirect"`} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret") || strings.Contains(out, `"eo"`) {
		t.Errorf("debug log shows a secret:\n%s", out)
	}
}

func TestDebugRedactsCredentials(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := r.BasicAuth(); !ok {
			w.Header().Set("Www-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"repositories":["eo"],"nested":{"Token":"tok3n"}}`))
	}))
	defer s.Close()
	var logged bytes.Buffer
	o := Options{Username: "alice", Password: "s3cret", Debug: true, DebugLog: &logged}
	if err := get(t, o, strings.TrimPrefix(s.URL, "http://"), s.URL+"/v2/_catalog"); err != nil {
		t.Fatal(err)
	}
	out := logged.String()
	if strings.Contains(out, "s3cret") || strings.Contains(out, "YWxpY2U6czNjcmV0") || strings.Contains(out, "tok3n") {
		t.Errorf("debug log shows a credential:\n%s", out)
	}
	for _, want := range []string{`"Authorization": "*****"`, "401 Unauthorized", "Response body redacted due to potential credentials", "][DEBUG]: --> Request #"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q:\n%s", want, out)
		}
	}
}

func writeTemp(t *testing.T, s string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "*.pem")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Close()
	return f.Name()
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Over TLS the client speaks HTTP/1.1 even to a registry that offers HTTP/2 (see Client),
// and reuses its connection.
func TestClientHTTP1OverTLS(t *testing.T) {
	var mu sync.Mutex
	protos := map[string]int{}
	conns := 0
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos[r.Proto]++
		mu.Unlock()
	}))
	s.EnableHTTP2 = true
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	host := strings.TrimPrefix(s.URL, "https://")
	o := Options{Insecure: true}
	o.plainHTTPSet = func() bool { return true }
	c, err := o.Client(host)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/v2/", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if protos["HTTP/1.1"] != 3 || conns != 1 {
		t.Fatalf("requests by protocol %v over %d connections, want 3 over HTTP/1.1 on one", protos, conns)
	}
}
