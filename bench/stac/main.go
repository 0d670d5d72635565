// Command stac is bench/stac.sh's helper: it generates EO product items into a STAC index
// file through the index API (stacindex.File.PutAll, in batches; a bulk load
// when the file is new), serves the file with the
// STAC API (stacapi.Handler under /stac/), and times searches against a server over HTTP.
//
//	stac gen   -index FILE -n 1000000 [-bulk=false]  generate and index, print items/s
//	stac serve -index FILE -addr HOST:PORT     serve /stac/
//	stac query -url http://HOST:PORT/stac -runs 200
//	stac collections -index FILE              time Collections, computed then cached
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	log.SetFlags(0)
	if len(os.Args) < 2 {
		log.Fatal("usage: stac gen|serve|query [flags]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	index := fs.String("index", "", "index file")
	if p := os.Getenv("STAC_CPUPROFILE"); p != "" {
		out, err := os.Create(p)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(out)
		defer pprof.StopCPUProfile()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		n := fs.Int("n", 1000000, "items")
		batch := fs.Int("batch", 5000, "items per transaction")
		bulk := fs.Bool("bulk", true, "bulk-load a new file (File.BeginBulk … EndBulk)")
		fs.Parse(os.Args[2:])
		err = generate(ctx, *index, *n, *batch, *bulk)
	case "serve":
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		fs.Parse(os.Args[2:])
		err = serve(ctx, *index, *addr)
	case "collections":
		fs.Parse(os.Args[2:])
		err = timeCollections(ctx, *index)
	case "query":
		url := fs.String("url", "", "STAC API root, e.g. http://127.0.0.1:8080/stac")
		runs := fs.Int("runs", 200, "searches per kind")
		fs.Parse(os.Args[2:])
		err = query(ctx, *url, *runs)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil && err != http.ErrServerClosed {
		log.Printf("stac %s: %v", os.Args[1], err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
