// Command eopack stores and distributes Earth-observation products as OCI artifacts.
// It is a registry client with ORAS's verbs, an embedded OCI registry, and an EO layer on top.
//
// With EOPACK_CPUPROFILE=FILE set, a command writes a CPU profile of its run to FILE (for
// `go tool pprof`); `serve` writes it when stopped with SIGINT or SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/eopack/eopack/internal/cli"
)

func main() {
	stopProfile := startProfile(os.Getenv("EOPACK_CPUPROFILE"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	stopProfile()
	os.Exit(code)
}

// startProfile starts a CPU profile into path (none if path is "") and returns its stop.
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "eopack: EOPACK_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
