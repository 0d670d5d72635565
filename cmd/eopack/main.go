// Command eopack stores and distributes Earth-observation products as OCI artifacts.
// It is a registry client with ORAS's verbs, an embedded OCI registry, and an EO layer on top.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/eopack/eopack/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
