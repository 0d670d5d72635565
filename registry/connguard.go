package registry

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// connGuard bounds the open connections so that idle or slow clients cannot use up the
// process's file descriptors: at the bound, a new connection makes room by closing the
// connection that has waited longest without a request in progress (idle between requests,
// or still sending its header); if every connection is busy, the new one is answered 503.
// Without a bound set, it is half of the file-descriptor limit, less a reserve for the
// database and blob files (a request may hold its connection and one blob file).
type connGuard struct {
	net.Listener
	max int

	mu    sync.Mutex
	conns map[net.Conn]*connInfo
}

type connInfo struct {
	state http.ConnState
	since time.Time
}

const (
	fdReserve   = 32
	maxConnsCap = 10000
)

func newConnGuard(ln net.Listener, limit int) *connGuard {
	if limit <= 0 {
		limit = maxConnsCap
		var lim syscall.Rlimit
		if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < uint64(2*maxConnsCap+fdReserve) {
			limit = int(lim.Cur-fdReserve) / 2
		}
		limit = min(max(limit, 8), maxConnsCap)
	}
	return &connGuard{Listener: ln, max: limit, conns: map[net.Conn]*connInfo{}}
}

// Accept accepts the next connection, making room for it as described on connGuard.
func (g *connGuard) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		g.mu.Lock()
		var victim net.Conn
		if len(g.conns) >= g.max {
			victim = g.oldestWaiting()
			if victim != nil {
				delete(g.conns, victim)
			}
		}
		full := len(g.conns) >= g.max
		if !full {
			g.conns[c] = &connInfo{state: http.StateNew, since: time.Now()}
		}
		g.mu.Unlock()
		if victim != nil {
			victim.Close()
		}
		if full {
			c.SetWriteDeadline(time.Now().Add(time.Second))
			c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			c.Close()
			continue
		}
		return c, nil
	}
}

// oldestWaiting is the connection that has waited longest without a request in progress.
// g.mu is held.
func (g *connGuard) oldestWaiting() net.Conn {
	var oldest net.Conn
	var at time.Time
	for c, in := range g.conns {
		if in.state != http.StateIdle && in.state != http.StateNew {
			continue
		}
		if oldest == nil || in.since.Before(at) {
			oldest, at = c, in.since
		}
	}
	return oldest
}

// track is the server's ConnState hook.
func (g *connGuard) track(c net.Conn, state http.ConnState) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	in, ok := g.conns[c]
	if !ok {
		return
	}
	switch state {
	case http.StateClosed, http.StateHijacked:
		delete(g.conns, c)
	default:
		in.state, in.since = state, time.Now()
	}
}
