package sign

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Policy is a trust policy file: which keys and certificates are trusted for which
// repositories, and which attestations an artifact there must carry.
//
//	{
//	  "policies": [
//	    {"scope": "localhost:5000/eo/*", "keys": ["eo.pub"],
//	     "requiredPredicateTypes": ["slsaprovenance1"]},
//	    {"scope": "*", "certificates": ["notary-ca.pem"]}
//	  ]
//	}
//
// A scope is a repository ("host/name"), a prefix ending in "/*", or "*"; the longest scope
// that matches a repository applies. Relative file names are read from the policy's folder.
type Policy struct {
	Policies []Scope `json:"policies"`
	dir      string
}

// Scope is one entry of a Policy.
type Scope struct {
	Scope                  string   `json:"scope"`
	Keys                   []string `json:"keys,omitempty"`
	Certificates           []string `json:"certificates,omitempty"`
	RequiredPredicateTypes []string `json:"requiredPredicateTypes,omitempty"`
}

// LoadPolicy reads and checks a trust policy file.
func LoadPolicy(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trust policy: %w", err)
	}
	var p Policy
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("trust policy %s: %w", path, err)
	}
	if len(p.Policies) == 0 {
		return nil, fmt.Errorf("trust policy %s: no policies", path)
	}
	for i, s := range p.Policies {
		if s.Scope == "" {
			return nil, fmt.Errorf("trust policy %s: policy %d has no scope", path, i+1)
		}
		if len(s.Keys)+len(s.Certificates) == 0 {
			return nil, fmt.Errorf("trust policy %s: scope %q trusts no key or certificate", path, s.Scope)
		}
		for j, t := range s.RequiredPredicateTypes {
			u, err := PredicateType(t)
			if err != nil {
				return nil, fmt.Errorf("trust policy %s: scope %q: %w", path, s.Scope, err)
			}
			p.Policies[i].RequiredPredicateTypes[j] = u
		}
	}
	p.dir = filepath.Dir(path)
	return &p, nil
}

// For returns the scope that applies to repo (host/name), or an error when none does.
func (p *Policy) For(repo string) (*Scope, error) {
	var best *Scope
	for i := range p.Policies {
		s := &p.Policies[i]
		if !scopeMatches(s.Scope, repo) {
			continue
		}
		if best == nil || len(s.Scope) > len(best.Scope) {
			best = s
		}
	}
	if best == nil {
		return nil, fmt.Errorf("the trust policy has no scope for %s: %w", repo, ErrNotVerified)
	}
	return best, nil
}

func scopeMatches(scope, repo string) bool {
	switch {
	case scope == "*":
		return true
	case strings.HasSuffix(scope, "/*"):
		return strings.HasPrefix(repo, strings.TrimSuffix(scope, "*"))
	}
	return scope == repo
}

// Keys reads the scope's public keys.
func (p *Policy) Keys(s *Scope) ([]Key, error) {
	var out []Key
	for _, k := range s.Keys {
		pub, err := LoadPublicKey(p.path(k))
		if err != nil {
			return nil, err
		}
		out = append(out, Key{Name: k, Public: pub})
	}
	return out, nil
}

// Certificates reads the scope's trusted certificates (each file may hold several).
func (p *Policy) Certificates(s *Scope) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, f := range s.Certificates {
		certs, err := LoadCertificates(p.path(f))
		if err != nil {
			return nil, err
		}
		out = append(out, certs...)
	}
	return out, nil
}

func (p *Policy) path(f string) string {
	if filepath.IsAbs(f) {
		return f
	}
	return filepath.Join(p.dir, f)
}

// LoadCertificates reads every PEM certificate in path.
func LoadCertificates(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading certificates: %w", err)
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate: %w", path, ErrKeyFormat)
	}
	return out, nil
}
