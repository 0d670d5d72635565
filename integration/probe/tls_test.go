package probe_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "eopack probe test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// TestProbeTLS probes `eopack serve` over HTTPS with a self-signed certificate: refused
// without --insecure (the table says why), every check passing with it. --plain-http=false
// turns off the automatic plain HTTP for loopback addresses, as in ORAS.
func TestProbeTLS(t *testing.T) {
	cert, key := selfSigned(t, t.TempDir())
	srv := testpeer.StartServe(t, "", "--tls-cert", cert, "--tls-key", key)

	rep := probeJSON(t, srv.Addr, "--plain-http=false", "--only", "range")[0]
	if r := rep.byID()["reach"]; r.Status != "fail" || !strings.Contains(r.Summary, "certificate") {
		t.Errorf("reach without --insecure: %s %q, want a certificate failure", r.Status, r.Summary)
	}

	rep = probeJSON(t, srv.Addr, "--plain-http=false", "--insecure", "--max-blob", "2MiB")[0]
	assertAllPass(t, rep)
	if ev := rep.byID()["reach"].Evidence; len(ev) == 0 || !strings.HasPrefix(ev[0], "GET /v2/ → 200") {
		t.Errorf("reach evidence %v", ev)
	}
}
