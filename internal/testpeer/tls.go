package testpeer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a throwaway certificate authority for TLS tests: its certificate is in CertFile
// (PEM), what --ca-file and a registry's clientcas take.
type CA struct {
	CertFile string
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
	dir      string
	serial   int64
}

// NewCA creates a self-signed CA valid for a day, in a folder removed when the test ends.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "eopack test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &CA{cert: cert, key: key, dir: t.TempDir(), serial: 1}
	ca.CertFile = filepath.Join(ca.dir, "ca.pem")
	writePEM(t, ca.CertFile, "CERTIFICATE", der)
	return ca
}

// Issue writes a certificate signed by ca for names (host names or IP addresses), usable
// by a server and by a client (mTLS), and its private key; it returns both file paths.
func (ca *CA) Issue(t testing.TB, name string, names ...string) (certFile, keyFile string) {
	t.Helper()
	ca.serial++
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, n := range append([]string{name}, names...) {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(ca.dir, fmt.Sprintf("%s-%d", name, ca.serial))
	certFile, keyFile = base+".pem", base+"-key.pem"
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	return certFile, keyFile
}

// SignJWT returns an ES256 JSON Web Token of claims signed by ca's key, with ca's
// certificate in its x5c header: a token that a registry whose token auth trusts ca
// (TLSOptions.TokenRealm) accepts.
func (ca *CA) SignJWT(t testing.TB, claims any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]any{"alg": "ES256", "typ": "JWT", "x5c": []string{base64.StdEncoding.EncodeToString(ca.cert.Raw)}})
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, ca.key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signed + "." + enc.EncodeToString(sig)
}

// TLSOptions configure StartDistributionTLS. Without a certificate the registry speaks
// plain HTTP.
type TLSOptions struct {
	CertFile, KeyFile string // the server's certificate and key
	ClientCA          string // when set, clients must present a certificate this CA signed (mTLS)
	Htpasswd          string // when set, basic auth is required (see WriteHtpasswd)

	// TokenRealm, when set, makes the registry require bearer tokens from that token
	// service (distribution's token auth), signed by TokenCA (CA.SignJWT), for TokenService.
	TokenRealm, TokenService string
	TokenCA                  *CA
}

// TokenIssuer is the issuer StartDistributionTLS's token auth trusts.
const TokenIssuer = "eopack-test-token-issuer"

// StartDistributionTLS starts the pinned CNCF distribution registry configured by o (HTTPS
// with a certificate, client certificates with ClientCA, basic or token auth) on a free
// loopback port, deletes enabled. It is stopped when the test ends.
func StartDistributionTLS(t testing.TB, o TLSOptions) *Server {
	t.Helper()
	bin := Bin(t, "registry")
	root := t.TempDir()
	addr := FreeAddr(t)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(root, "data"), addr)
	if o.CertFile != "" {
		cfg += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", o.CertFile, o.KeyFile)
	}
	if o.ClientCA != "" {
		cfg += fmt.Sprintf("    clientcas:\n      - %s\n", o.ClientCA)
	}
	if o.Htpasswd != "" {
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: test\n    path: %s\n", o.Htpasswd)
	}
	if o.TokenRealm != "" {
		cfg += fmt.Sprintf("auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n",
			o.TokenRealm, o.TokenService, TokenIssuer, o.TokenCA.CertFile)
	}
	cfgPath := filepath.Join(root, "config.yml")
	WriteFile(t, cfgPath, []byte(cfg))
	// start's readiness probe speaks plain HTTP: a TLS registry answers it with a 400.
	return start(t, addr, root, bin, "serve", cfgPath)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writePEM(t testing.TB, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
