package main

import (
	"errors"
	"net"
	"sync"
	"time"
)

// chunkSize is the most one read forwards as one delayed piece.
const chunkSize = 64 << 10

// proxy forwards each accepted connection to target, delay later in each direction.
type proxy struct {
	target string
	delay  time.Duration // one way: half the round trip
	chunks int           // pieces in flight per direction
}

func (p *proxy) serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go p.handle(c)
	}
}

func (p *proxy) handle(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(server, client) }()
	go func() { defer wg.Done(); p.pipe(client, server) }()
	wg.Wait()
}

// piece is bytes read from one side, due on the other at due.
type piece struct {
	due time.Time
	b   *[chunkSize]byte
	n   int
}

// bufs holds the pieces' buffers, shared by every connection.
var bufs = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// pipe forwards src to dst, each piece delay after it was read, and half-closes dst when
// src ends. A failed write closes both, which ends the other direction too.
func (p *proxy) pipe(dst, src net.Conn) {
	q := make(chan piece, p.chunks) // its room is the window
	go func() {
		defer close(q)
		for {
			b := bufs.Get().(*[chunkSize]byte)
			n, err := src.Read(b[:])
			if n > 0 {
				q <- piece{time.Now().Add(p.delay), b, n}
			} else {
				bufs.Put(b)
			}
			if err != nil {
				return
			}
		}
	}()
	for pc := range q {
		if d := time.Until(pc.due); d > 0 {
			time.Sleep(d)
		}
		_, err := dst.Write(pc.b[:pc.n])
		bufs.Put(pc.b)
		if err != nil {
			dst.Close()
			src.Close()
			for pc := range q { // let the reader end
				bufs.Put(pc.b)
			}
			return
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	} else {
		dst.Close()
	}
}
