package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Errors of key handling. None of them carries key material.
var (
	ErrWrongPassword = errors.New("wrong password for the private key (or the key file is damaged)")
	ErrKeyFormat     = errors.New("not a key file eopack reads")
)

// PasswordFunc returns the password of a private key; confirm asks for it twice (when a key
// is created).
type PasswordFunc func(confirm bool) ([]byte, error)

// GenerateKeyPair makes an ECDSA P-256 key pair in cosign's files: the private key encrypted
// with password (scrypt + secretbox, PEM "ENCRYPTED SIGSTORE PRIVATE KEY"), the public key as
// PEM "PUBLIC KEY".
func GenerateKeyPair(password PasswordFunc) (privPEM, pubPEM []byte, err error) {
	pw, err := password(true)
	if err != nil {
		return nil, nil, err
	}
	if pw == nil {
		pw = []byte{}
	}
	return cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), func(bool) ([]byte, error) { return pw, nil })
}

// WriteKeyPair writes prefix.key (mode 0600) and prefix.pub (0644), refusing to replace
// existing files. Each is written to a temporary name and renamed into place.
func WriteKeyPair(prefix string, privPEM, pubPEM []byte) (privPath, pubPath string, err error) {
	privPath, pubPath = prefix+".key", prefix+".pub"
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("%s already exists: remove it or choose another --output-key-prefix", p)
		}
	}
	if err := writeNew(privPath, privPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(pubPath, pubPEM, 0o644); err != nil {
		os.Remove(privPath)
		return "", "", err
	}
	return privPath, pubPath, nil
}

// writeNew writes b to a temp file beside path with mode perm, then renames it into place.
func writeNew(path string, b []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}

// LoadPrivateKey reads an ECDSA private key: cosign's encrypted PEM (the password comes from
// password) or an unencrypted PKCS#8 / SEC 1 PEM.
func LoadPrivateKey(path string, password PasswordFunc) (*ecdsa.PrivateKey, error) {
	k, err := LoadSigner(path, password)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, want an ECDSA key: %w", path, k, ErrKeyFormat)
	}
	return ec, nil
}

// LoadSigner reads a private key of any kind Go signs with (ECDSA, RSA, Ed25519) from the
// files LoadPrivateKey reads and PKCS#1 RSA PEM.
func LoadSigner(path string, password PasswordFunc) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading private key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block: %w", path, ErrKeyFormat)
	}
	var pf cryptoutils.PassFunc
	if strings.HasPrefix(block.Type, "ENCRYPTED ") {
		pw, err := password(false)
		if err != nil {
			return nil, err
		}
		if pw == nil {
			pw = []byte{}
		}
		pf = func(bool) ([]byte, error) { return pw, nil }
	}
	k, err := cryptoutils.UnmarshalPEMToPrivateKey(b, pf)
	if err != nil {
		if strings.HasPrefix(block.Type, "ENCRYPTED ") {
			// The library's message says only that decryption failed; nothing of the key.
			return nil, fmt.Errorf("%s: %w", path, ErrWrongPassword)
		}
		return nil, fmt.Errorf("%s: %w", path, ErrKeyFormat)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: a %T cannot sign: %w", path, k, ErrKeyFormat)
	}
	return signer, nil
}

// LoadPublicKey reads a PEM public key ("PUBLIC KEY") or the key of a PEM certificate.
func LoadPublicKey(path string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	return ParsePublicKey(path, b)
}

// ParsePublicKey parses a PEM public key or certificate; name is used in errors.
func ParsePublicKey(name string, b []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block: %w", name, ErrKeyFormat)
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, ErrKeyFormat)
		}
		return k, nil
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, ErrKeyFormat)
		}
		return c.PublicKey, nil
	}
	return nil, fmt.Errorf("%s: a %q PEM block, want PUBLIC KEY: %w", name, block.Type, ErrKeyFormat)
}
