package testpeer

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Throttle is a TCP proxy on loopback that forwards to a registry at most a fixed number of
// bytes per second (both directions together, all connections sharing the budget), so a
// test can watch a transfer while it is under way.
type Throttle struct {
	Addr string // 127.0.0.1:port to connect to instead of the registry

	ln          net.Listener
	bytesPerSec int64
	mu          sync.Mutex
	next        time.Time // when the budget allows the next chunk
}

// throttleChunk is the most one write forwards at a time.
const throttleChunk = 32 << 10

// StartThrottle starts a proxy to upstream (host:port) allowing bytesPerSec; it stops when
// the test ends.
func StartThrottle(t testing.TB, upstream string, bytesPerSec int64) *Throttle {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Throttle{Addr: ln.Addr().String(), ln: ln, bytesPerSec: bytesPerSec}
	var conns sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				p.serve(c, upstream, stop)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		close(stop)
		conns.Wait()
	})
	return p
}

func (p *Throttle) serve(c net.Conn, upstream string, stop <-chan struct{}) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer u.Close()
	done := make(chan struct{}, 2)
	go func() { p.pipe(u, c); done <- struct{}{} }()
	go func() { p.pipe(c, u); done <- struct{}{} }()
	select {
	case <-done: // one side closed: close both
	case <-stop:
	}
}

// pipe copies src to dst a chunk at a time, waiting for the budget before each chunk.
func (p *Throttle) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, throttleChunk)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait(n)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// wait sleeps until n more bytes fit the budget.
func (p *Throttle) wait(n int) {
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	p.next = p.next.Add(time.Duration(int64(n) * int64(time.Second) / p.bytesPerSec))
	p.mu.Unlock()
	time.Sleep(time.Until(at))
}
