package target

import (
	"fmt"
	"net/http"
	"strings"
)

// ParseHeaders parses --header values "name: value" (the value may be empty; a name may
// repeat, each value is sent). A value with no colon, an empty name or one with characters
// HTTP does not allow in a field name is refused with ORAS's message.
func ParseHeaders(flags []string) (http.Header, error) {
	h := http.Header{}
	for _, f := range flags {
		name, value, ok := strings.Cut(f, ":")
		name = strings.TrimSpace(name)
		if !ok || !isToken(name) || strings.ContainsAny(value, "\r\n\x00") {
			return nil, fmt.Errorf("invalid header: %q", f)
		}
		h.Add(name, strings.TrimSpace(value))
	}
	return h, nil
}

// isToken reports whether s is an RFC 9110 token (a field name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", c):
		default:
			return false
		}
	}
	return true
}
