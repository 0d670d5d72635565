package testpeer

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// NetProxy is a TCP proxy on loopback in front of a registry. It counts the bytes it
// forwards each way and, like a flaky network, can cut every open connection each time a
// given number of bytes has gone one way, so that clients meet connections reset in the
// middle of a body; like a slow one, it can hold all its connections together to a number
// of bytes per second, so that a test can watch a transfer while it is under way.
type NetProxy struct {
	Addr string // 127.0.0.1:port to give clients

	target string
	o      NetProxyOptions
	ln     net.Listener

	up, down atomic.Int64 // bytes forwarded client → server and server → client
	cuts     atomic.Int64

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	sinceCut int64     // bytes forwarded in the cut direction since the last cut
	next     time.Time // when the rate allows the next write
}

// NetProxyOptions say when a NetProxy cuts connections and how fast it forwards; the zero
// value never cuts and does not slow down.
type NetProxyOptions struct {
	CutUpEvery   int64 // cut every connection each time this many more bytes went up
	CutDownEvery int64 // … or down
	BytesPerSec  int64 // at most this many bytes a second, both ways and all connections together
}

// StartNetProxy starts a NetProxy to target (host:port), stopped when the test ends.
func StartNetProxy(t testing.TB, target string, o NetProxyOptions) *NetProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &NetProxy{Addr: ln.Addr().String(), target: target, o: o, ln: ln, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// Up is the number of bytes forwarded from clients to the server so far.
func (p *NetProxy) Up() int64 { return p.up.Load() }

// Down is the number of bytes forwarded from the server to clients so far.
func (p *NetProxy) Down() int64 { return p.down.Load() }

// Cuts is how many times the proxy has cut its connections.
func (p *NetProxy) Cuts() int64 { return p.cuts.Load() }

func (p *NetProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

func (p *NetProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *NetProxy) handle(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.track(client, server)
	defer p.untrack(client, server)
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client, &p.up, p.o.CutUpEvery); done <- struct{}{} }()
	go func() { p.pipe(client, server, &p.down, p.o.CutDownEvery); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	<-done
}

func (p *NetProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	p.mu.Unlock()
}

func (p *NetProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	for _, c := range cs {
		delete(p.conns, c)
	}
	p.mu.Unlock()
}

// pipe copies src to dst, counting into n; with every > 0 it forwards at most up to the
// next cut point, then closes every connection.
func (p *NetProxy) pipe(dst, src net.Conn, n *atomic.Int64, every int64) {
	buf := make([]byte, 32<<10)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			send, cut := k, false
			if every > 0 {
				p.mu.Lock()
				if left := every - p.sinceCut; int64(k) >= left {
					send, cut = int(left), true
					p.sinceCut = 0
				} else {
					p.sinceCut += int64(k)
				}
				p.mu.Unlock()
			}
			p.wait(send)
			// counted before the write, so that a peer that has the bytes sees them counted
			n.Add(int64(send))
			w, werr := dst.Write(buf[:send])
			n.Add(int64(w - send))
			if cut {
				p.cuts.Add(1)
				p.cutAll()
				return
			}
			if werr != nil {
				return
			}
		}
		if err != nil {
			if tc, ok := dst.(*net.TCPConn); ok && err == io.EOF {
				tc.CloseWrite()
			}
			return
		}
	}
}

// wait sleeps until n more bytes fit the rate, if there is one.
func (p *NetProxy) wait(n int) {
	if p.o.BytesPerSec <= 0 {
		return
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	p.next = p.next.Add(time.Duration(int64(n) * int64(time.Second) / p.o.BytesPerSec))
	p.mu.Unlock()
	time.Sleep(time.Until(at))
}

// cutAll resets every open connection (SO_LINGER 0), as a dropped link looks to both ends.
func (p *NetProxy) cutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Close()
	}
}

// BodyLimitProxy is an HTTP reverse proxy in front of a registry that refuses request
// bodies over a size with 413 Request Entity Too Large, as many front proxies do (nginx's
// client_max_body_size, for one).
type BodyLimitProxy struct {
	Addr    string
	refused atomic.Int64
}

// Refused is how many requests the proxy answered 413.
func (p *BodyLimitProxy) Refused() int64 { return p.refused.Load() }

// StartBodyLimitProxy starts a BodyLimitProxy to target (host:port) that refuses bodies
// over max bytes, or of unknown length, stopped when the test ends.
func StartBodyLimitProxy(t testing.TB, target string, max int64) *BodyLimitProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &BodyLimitProxy{Addr: ln.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody) {
			p.refused.Add(1)
			w.Header().Set("Connection", "close")
			http.Error(w, "413 Request Entity Too Large", http.StatusRequestEntityTooLarge)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}
