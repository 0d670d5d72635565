package main

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/eopack/eopack/stacapi"
	"github.com/eopack/eopack/stacindex"
)

// serve answers the STAC API of an index file under /stac/ until ctx ends.
func serve(ctx context.Context, path, addr string) error {
	f, err := stacindex.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/stac/", http.StripPrefix("/stac", stacapi.Handler(f, stacapi.Options{Title: "bench"})))
	srv := &http.Server{Handler: mux}
	go func() { <-ctx.Done(); srv.Close() }()
	fmt.Printf("serving http://%s/stac/\n", ln.Addr())
	return srv.Serve(ln)
}
