package target

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// resolveRules maps a dialed "host:port" to the "address:port" to connect to instead, as
// curl's --resolve does. TLS still checks the certificate against the host name.
type resolveRules map[string]string

// ParseResolve parses --resolve rules "host:port:address[:address_port]" (address_port
// defaults to port). Later rules for the same host:port win. An IPv6 address is written
// as is ("reg.example:443:::1") or, to give a port, in brackets ("reg.example:443:[::1]:5000").
func ParseResolve(flags []string) (resolveRules, error) {
	rules := resolveRules{}
	for _, r := range flags {
		bad := func(msg string) error { return fmt.Errorf("failed to parse resolve flag %q: %s", r, msg) }
		parts := strings.SplitN(r, ":", 3)
		if len(parts) < 3 || parts[0] == "" {
			return nil, bad("expecting host:port:address[:address_port]")
		}
		host, rest := strings.ToLower(parts[0]), parts[2]
		port, err := parsePort(parts[1])
		if err != nil {
			return nil, bad("expecting uint64 host port")
		}
		address, addressPort := rest, port
		if net.ParseIP(strings.Trim(rest, "[]")) == nil {
			if i := strings.LastIndex(rest, ":"); i >= 0 {
				if addressPort, err = parsePort(rest[i+1:]); err != nil {
					return nil, bad("expecting uint64 address port")
				}
				address = rest[:i]
			}
		}
		ip := net.ParseIP(strings.Trim(address, "[]"))
		if ip == nil {
			return nil, bad("invalid IP address")
		}
		rules[net.JoinHostPort(host, port)] = net.JoinHostPort(ip.String(), addressPort)
	}
	return rules, nil
}

func parsePort(s string) (string, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return "", err
	}
	return strconv.FormatUint(n, 10), nil
}

// dialer wraps dial so it connects where a rule says; with no rules it is dial itself.
func (r resolveRules) dialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if len(r) == 0 {
		return dial
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, err := net.SplitHostPort(addr); err == nil {
			if to, ok := r[net.JoinHostPort(strings.ToLower(host), port)]; ok {
				addr = to
			}
		}
		return dial(ctx, network, addr)
	}
}
