package target

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Sentinels wrapped by Explain; check with errors.Is.
var (
	ErrNotFound     = errdef.ErrNotFound // unknown tag, digest, repository or layout
	ErrUnreachable  = errors.New("registry unreachable")
	ErrUnauthorized = errors.New("not authorized")
)

// Explain turns an error met while talking to r into a one-line message that names the
// problem and, where there is one, the fix. Errors it does not recognise come back unchanged.
func Explain(err error, r Ref) error {
	if err == nil {
		return nil
	}
	host := r.Registry
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		if resp.URL != nil {
			host = resp.URL.Host
		}
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%s: %w (%d %s: %s): run `eopack login %s` or pass -u/-p",
				r, ErrUnauthorized, resp.StatusCode, http.StatusText(resp.StatusCode), briefCodes(resp), host)
		case http.StatusNotFound:
			return fmt.Errorf("%s: %s: %w", r, briefCodes(resp), ErrNotFound)
		}
		return fmt.Errorf("%s: registry answered %d %s: %s", r, resp.StatusCode, http.StatusText(resp.StatusCode), briefCodes(resp))
	}
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return fmt.Errorf("%s: %w (no credentials for %s): run `eopack login %s`", r, ErrUnauthorized, host, host)
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("%w: %s (cannot resolve host %q)", ErrUnreachable, host, dnsErr.Name)
	}
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return fmt.Errorf("%w: %s (%v)", ErrUnreachable, host, opErr.Err)
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return fmt.Errorf("%w (trust the registry's CA with --ca-file, or skip the check with --insecure)", err)
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return fmt.Errorf("registry %s speaks plain HTTP: add --plain-http", host)
	}
	return err
}

func briefCodes(resp *errcode.ErrorResponse) string {
	if len(resp.Errors) == 0 {
		return strings.ToLower(http.StatusText(resp.StatusCode))
	}
	var parts []string
	for _, e := range resp.Errors {
		s := e.Code
		if e.Message != "" {
			s += ": " + e.Message
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
