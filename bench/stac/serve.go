package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

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

// timeCollections times listing the collections of an index file twice: computed from the
// items, then from the cache.
func timeCollections(ctx context.Context, path string) error {
	f, err := stacindex.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, what := range []string{"computed", "cached"} {
		t0 := time.Now()
		cols, err := f.Collections(ctx)
		if err != nil {
			return err
		}
		n := int64(0)
		for _, c := range cols {
			n += c.Count
		}
		fmt.Printf("Collections (%s): %d collections, %d items, %.0f ms\n", what, len(cols), n, float64(time.Since(t0).Microseconds())/1000)
	}
	return nil
}
