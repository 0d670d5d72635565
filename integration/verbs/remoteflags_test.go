package verbs

import (
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// both runs the same arguments with eopack and oras and requires both to succeed with the
// same stdout.
func both(t *testing.T, e *cmdEnv, eopack, oras string, args ...string) string {
	t.Helper()
	return sameOutput(t, e, eopack, oras, nil, args...)
}

// bothFail runs the same arguments with eopack and oras and requires both to fail with an
// error naming each of msgs.
func bothFail(t *testing.T, e *cmdEnv, eopack, oras string, args []string, msgs ...string) {
	t.Helper()
	e.fails(t, "", eopack, args, msgs...)
	e.fails(t, "", oras, args, msgs...)
}

// tlsRegistry is the distribution registry serving HTTPS with a certificate for
// registry.test, localhost and 127.0.0.1 from a fresh CA; with mTLS it requires a client
// certificate from that CA.
func tlsRegistry(t *testing.T, ca *testpeer.CA, mTLS bool) *testpeer.Server {
	t.Helper()
	cert, key := ca.Issue(t, "registry.test", "localhost", "127.0.0.1")
	o := testpeer.TLSOptions{CertFile: cert, KeyFile: key}
	if mTLS {
		o.ClientCA = ca.CertFile
	}
	return testpeer.StartDistributionTLS(t, o)
}

// https makes both CLIs speak TLS to a loopback registry (eopack would use plain HTTP).
var https = []string{"--plain-http=false"}

func flags(parts ...[]string) []string { return slices.Concat(parts...) }

// --ca-file: a registry whose certificate a private CA signed is refused without it, in
// ORAS's words, and reached with it; --insecure skips the check. cp's --from-ca-file and
// --to-ca-file reach two such registries.
func TestCAFile(t *testing.T) {
	eopack, oras := peers(t)
	e := newEnv(t)
	ca := testpeer.NewCA(t)
	src, dst := tlsRegistry(t, ca, false), tlsRegistry(t, ca, false)
	caFile := []string{"--ca-file", ca.CertFile}
	e.write(t, "B04.tif", randomBytes(t, 20_000))

	bothFail(t, e, eopack, oras, flags([]string{"repo", "tags"}, https, []string{src.Addr + "/eo/tls"}),
		"tls: failed to verify certificate: x509: certificate signed by unknown authority")
	bothFail(t, e, eopack, oras, flags([]string{"repo", "tags", "--ca-file", "missing.pem"}, https, []string{src.Addr + "/eo/tls"}),
		"open missing.pem: no such file or directory")

	e.must(t, oras, flags([]string{"push"}, https, caFile, []string{src.Addr + "/eo/tls:v1", "B04.tif"})...)
	both(t, e, eopack, oras, flags([]string{"resolve"}, https, caFile, []string{src.Addr + "/eo/tls:v1"})...)
	both(t, e, eopack, oras, flags([]string{"manifest", "fetch", "--insecure"}, https, []string{src.Addr + "/eo/tls:v1"})...)
	e.must(t, eopack, flags([]string{"push"}, https, caFile, []string{src.Addr + "/eo/tls:v2", "B04.tif"})...)
	both(t, e, eopack, oras, flags([]string{"repo", "tags"}, https, caFile, []string{src.Addr + "/eo/tls"})...)

	for _, bin := range []string{eopack, oras} {
		e.must(t, bin, "cp", "--from-plain-http=false", "--from-ca-file", ca.CertFile, "--to-plain-http=false", "--to-ca-file", ca.CertFile,
			src.Addr+"/eo/tls:v1", dst.Addr+"/eo/copy:"+binName(bin))
	}
	both(t, e, eopack, oras, flags([]string{"repo", "tags"}, https, caFile, []string{dst.Addr + "/eo/copy"})...)
}

// binName names a binary in tags: "eopack" or "oras".
func binName(bin string) string { return bin[strings.LastIndex(bin, "/")+1:] }

// --cert-file/--key-file: a registry that requires a client certificate is reached with
// one and refused without; a certificate without its key is refused before any request.
func TestClientCertificate(t *testing.T) {
	eopack, oras := peers(t)
	e := newEnv(t)
	ca := testpeer.NewCA(t)
	reg := tlsRegistry(t, ca, true)
	cert, key := ca.Issue(t, "eo-operator")
	tlsFlags := flags(https, []string{"--ca-file", ca.CertFile})
	mTLS := flags(tlsFlags, []string{"--cert-file", cert, "--key-file", key})
	e.write(t, "B04.tif", randomBytes(t, 20_000))

	// refused in the handshake: the message depends on when the client notices (broken pipe,
	// "certificate required", no HTTP/2 connection)
	bothFail(t, e, eopack, oras, flags([]string{"repo", "tags"}, tlsFlags, []string{reg.Addr + "/eo/mtls"}), "https://"+reg.Addr)
	bothFail(t, e, eopack, oras, flags([]string{"repo", "tags"}, tlsFlags, []string{"--cert-file", cert, reg.Addr + "/eo/mtls"}),
		"--cert-file must be used in conjunction with --key-file")
	e.must(t, oras, flags([]string{"push"}, mTLS, []string{reg.Addr + "/eo/mtls:v1", "B04.tif"})...)
	both(t, e, eopack, oras, flags([]string{"resolve"}, mTLS, []string{reg.Addr + "/eo/mtls:v1"})...)
	e.must(t, eopack, flags([]string{"tag"}, mTLS, []string{reg.Addr + "/eo/mtls:v1", "v2"})...)
	both(t, e, eopack, oras, flags([]string{"repo", "tags"}, mTLS, []string{reg.Addr + "/eo/mtls"})...)
	both(t, e, eopack, oras, flags([]string{"repo", "ls"}, mTLS, []string{reg.Addr})...)

	// cp into the mTLS registry with the destination's certificate only.
	plain := testpeer.StartDistribution(t)
	e.must(t, oras, "push", "--plain-http", plain.Addr+"/eo/src:v1", "B04.tif")
	for _, bin := range []string{eopack, oras} {
		e.must(t, bin, "cp", "--from-plain-http", "--to-plain-http=false", "--to-ca-file", ca.CertFile,
			"--to-cert-file", cert, "--to-key-file", key, plain.Addr+"/eo/src:v1", reg.Addr+"/eo/copy:"+binName(bin))
	}
	both(t, e, eopack, oras, flags([]string{"repo", "tags"}, mTLS, []string{reg.Addr + "/eo/copy"})...)
	bothFail(t, e, eopack, oras, []string{"cp", "--from-plain-http", "--to-cert-file", cert, plain.Addr + "/eo/src:v1", reg.Addr + "/eo/x:v1"},
		"--to-cert-file must be used in conjunction with --to-key-file")
}

// --resolve: a host name no DNS knows reaches the loopback registry, its certificate
// checked against that name; cp's --resolve applies to both sides.
func TestResolve(t *testing.T) {
	eopack, oras := peers(t)
	e := newEnv(t)
	ca := testpeer.NewCA(t)
	reg := tlsRegistry(t, ca, false)
	_, port, _ := net.SplitHostPort(reg.Addr)
	name := "registry.test:" + port
	rule := "registry.test:" + port + ":127.0.0.1"
	caFile := []string{"--ca-file", ca.CertFile}
	e.write(t, "B04.tif", randomBytes(t, 20_000))

	e.must(t, oras, flags([]string{"push", "--resolve", rule}, caFile, []string{name + "/eo/dns:v1", "B04.tif"})...)
	both(t, e, eopack, oras, flags([]string{"resolve", "--resolve", rule}, caFile, []string{name + "/eo/dns:v1"})...)
	both(t, e, eopack, oras, flags([]string{"repo", "ls", "--resolve", rule}, caFile, []string{name})...)
	// a later rule for the same host:port wins
	both(t, e, eopack, oras, flags([]string{"resolve", "--resolve", "registry.test:" + port + ":127.0.0.2", "--resolve", rule}, caFile, []string{name + "/eo/dns:v1"})...)
	bothFail(t, e, eopack, oras, flags([]string{"resolve", "--resolve", "registry.test:" + port}, caFile, []string{name + "/eo/dns:v1"}),
		`failed to parse resolve flag "registry.test:`+port+`": expecting host:port:address[:address_port]`)
	bothFail(t, e, eopack, oras, flags([]string{"resolve", "--resolve", "registry.test:" + port + ":localhost"}, caFile, []string{name + "/eo/dns:v1"}),
		"invalid IP address")

	for _, bin := range []string{eopack, oras} {
		e.must(t, bin, "cp", "--resolve", rule, "--from-ca-file", ca.CertFile, "--to-ca-file", ca.CertFile,
			name+"/eo/dns:v1", name+"/eo/dns-copy:"+binName(bin))
	}
	both(t, e, eopack, oras, flags([]string{"repo", "tags", "--resolve", rule}, caFile, []string{name + "/eo/dns-copy"})...)
}

// headerLog keeps the values of one request header, by client (User-Agent product).
type headerLog struct {
	name string
	mu   sync.Mutex
	seen map[string][]string
}

func (l *headerLog) record(r *http.Request) {
	agent, _, _ := strings.Cut(r.UserAgent(), "/")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string][]string{}
	}
	l.seen[agent] = append(l.seen[agent], r.Header.Values(l.name)...)
}

func (l *headerLog) from(agent string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[agent]
}

// recorder is a reverse proxy in front of a registry that logs one header.
type recorder struct {
	*httptest.Server
	headerLog
}

func newRecorder(t *testing.T, registry, header string) *recorder {
	t.Helper()
	u, _ := url.Parse("http://" + registry)
	proxy := httputil.NewSingleHostReverseProxy(u)
	r := &recorder{headerLog: headerLog{name: header}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.record(req)
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

// -H/--header: every request carries the headers, repeated ones included; a malformed one
// and one given with --oci-layout are refused as ORAS refuses them.
func TestHeader(t *testing.T) {
	eopack, oras := peers(t)
	e := newEnv(t)
	reg := testpeer.StartDistribution(t)
	proxy := newRecorder(t, reg.Addr, "X-Eo-Mission")
	host := strings.TrimPrefix(proxy.URL, "http://")
	e.write(t, "B04.tif", randomBytes(t, 20_000))

	e.must(t, oras, "push", "--plain-http", host+"/eo/h:v1", "B04.tif")
	both(t, e, eopack, oras, "repo", "tags", "--plain-http", "-H", "X-Eo-Mission: sentinel-2", "--header", "x-eo-mission:landsat", host+"/eo/h")
	for agent, want := range map[string][]string{"eopack": {"sentinel-2", "landsat"}, "oras": {"sentinel-2", "landsat"}} {
		if got := proxy.from(agent); !slices.Equal(got, want) {
			t.Errorf("%s sent X-Eo-Mission %q, want %q", agent, got, want)
		}
	}
	bothFail(t, e, eopack, oras, []string{"repo", "tags", "--plain-http", "-H", "X-Eo-Mission", host + "/eo/h"}, `invalid header: "X-Eo-Mission"`)
	bothFail(t, e, eopack, oras, []string{"resolve", "--oci-layout", "-H", "A: b", "layout:v1"}, "custom header flags cannot be used on an OCI image layout target")
}

// -d/--debug: requests and responses go to stderr with the credentials masked.
func TestDebug(t *testing.T) {
	eopack, oras := peers(t)
	e := newEnv(t)
	reg := testpeer.StartDistributionWith(t, testpeer.DistributionOptions{Htpasswd: testpeer.WriteHtpasswd(t, "alice", "s3cret")})
	e.write(t, "B04.tif", randomBytes(t, 20_000))
	e.must(t, oras, "push", "--plain-http", "-u", "alice", "-p", "s3cret", reg.Addr+"/eo/d:v1", "B04.tif")

	args := []string{"resolve", "--plain-http", "-d", "-u", "alice", "--password-stdin", "-H", "X-Api-Key: k3y", reg.Addr + "/eo/d:v1"}
	basic := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	var out []string
	for _, bin := range []string{eopack, oras} {
		r := e.run("s3cret\n", bin, args...)
		if r.err != nil {
			t.Fatalf("%s: %v\n%s", bin, r.err, r.stderr)
		}
		out = append(out, r.stdout)
		for _, want := range []string{
			`> Request URL: "http://` + reg.Addr + `/v2/eo/d/manifests/v1"`, `> Request method: "HEAD"`,
			`< Response Status: "401 Unauthorized"`, `< Response Status: "200 OK"`,
			`"Authorization": "*****"`, `"X-Api-Key": "*****"`,
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s -d: stderr lacks %s:\n%s", binName(bin), want, r.stderr)
			}
		}
		for _, secret := range []string{"s3cret", basic, "k3y"} {
			if strings.Contains(r.stderr, secret) {
				t.Errorf("%s -d: stderr shows %q:\n%s", binName(bin), secret, r.stderr)
			}
		}
	}
	if out[0] != out[1] {
		t.Errorf("stdout: eopack %q, oras %q", out[0], out[1])
	}
}
