// Command netdelay is a TCP proxy on loopback that adds a round-trip time to every
// connection, so that the benchmarks can measure clients the way users meet registries: some
// milliseconds away, not on the same machine. Every byte is forwarded after half the round
// trip, in each direction; up to window bytes per direction and connection are in flight, as
// a TCP window would allow. It forwards until it is stopped.
//
//	netdelay -listen 127.0.0.1:6000 -target 127.0.0.1:5000 -rtt 10ms
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	target := flag.String("target", "", "host:port to forward to")
	rtt := flag.Duration("rtt", 10*time.Millisecond, "round-trip time to add")
	window := flag.Int("window", 4<<20, "bytes in flight per direction and connection")
	flag.Parse()
	if *target == "" || *rtt < 0 || *window < chunkSize {
		fmt.Fprintln(os.Stderr, "netdelay: -target host:port is required; -rtt ≥ 0; -window ≥", chunkSize)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netdelay:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	p := &proxy{target: *target, delay: *rtt / 2, chunks: *window / chunkSize}
	if err := p.serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "netdelay:", err)
		os.Exit(1)
	}
}
