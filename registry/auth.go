package registry

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Htpasswd checks basic-auth credentials against an htpasswd file of bcrypt entries (as
// `htpasswd -B` writes them). Verified credentials are remembered (as a hash) so bcrypt runs
// once per user and password, not once per request.
type Htpasswd struct {
	Realm string
	users map[string][]byte

	mu sync.Mutex
	ok map[[32]byte]bool
}

// LoadHtpasswd reads an htpasswd file; entries that are not bcrypt are an error.
func LoadHtpasswd(path string) (*Htpasswd, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := &Htpasswd{Realm: "eopack", users: map[string][]byte{}, ok: map[[32]byte]bool{}}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		user, hash, found := strings.Cut(text, ":")
		if !found || user == "" {
			return nil, fmt.Errorf("%s:%d: not user:hash", path, line)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("%s:%d: user %s: not a bcrypt hash (use htpasswd -B)", path, line, user)
		}
		h.users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(h.users) == 0 {
		return nil, fmt.Errorf("%s: no users", path)
	}
	return h, nil
}

// Check reports whether user and password match an entry.
func (h *Htpasswd) Check(user, password string) bool {
	hash, ok := h.users[user]
	if !ok {
		return false
	}
	key := sha256.Sum256([]byte(user + "\x00" + password))
	h.mu.Lock()
	known := h.ok[key]
	h.mu.Unlock()
	if known {
		return true
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
		return false
	}
	h.mu.Lock()
	h.ok[key] = true
	h.mu.Unlock()
	return true
}
