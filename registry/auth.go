package registry

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Htpasswd checks basic-auth credentials against an htpasswd file of bcrypt entries (as
// `htpasswd -B` writes them). Verified credentials are remembered (as a hash) so bcrypt runs
// once per user and password, not once per request. A wrong password costs one bcrypt
// comparison whether or not the user exists, so answer times do not tell which users exist.
type Htpasswd struct {
	Realm string
	users map[string][]byte
	dummy []byte // compared against for unknown users, at the file's highest cost

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
	cost := bcrypt.MinCost
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
		c, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: user %s: not a bcrypt hash (use htpasswd -B)", path, line, user)
		}
		cost = max(cost, c)
		h.users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(h.users) == 0 {
		return nil, fmt.Errorf("%s: no users", path)
	}
	if h.dummy, err = bcrypt.GenerateFromPassword([]byte("no user has this password"), cost); err != nil {
		return nil, err
	}
	return h, nil
}

// Check reports whether user and password match an entry.
func (h *Htpasswd) Check(user, password string) bool {
	key := sha256.Sum256([]byte(user + "\x00" + password))
	h.mu.Lock()
	known := h.ok[key]
	h.mu.Unlock()
	if known {
		return true
	}
	hash, exists := h.users[user]
	if !exists {
		hash = h.dummy
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if subtle.ConstantTimeEq(boolInt(exists), 1)&subtle.ConstantTimeEq(boolInt(match), 1) != 1 {
		return false
	}
	h.mu.Lock()
	h.ok[key] = true
	h.mu.Unlock()
	return true
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
