package cli

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/registry"

	eoregistry "github.com/eopack/eopack/registry"
	"github.com/eopack/eopack/stacindex"
	"github.com/eopack/eopack/stacserve"
	"github.com/eopack/eopack/target"
)

type stacServeOptions struct {
	targetFlags
	index       string
	addr        string
	tiles       string
	registryURL string
	assets      string
	title       string
}

func newStacServeCommand(stdio *IO) *cobra.Command {
	opts := &stacServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve --index FILE [--addr ADDR] [--tiles URL] [--registry-url URL]",
		Short: "Serve a STAC API and the map page for an index file made by eopack stac index",
		Long: `Serve the STAC API (at /stac/) and the map page (at /) for an index file written by eopack
stac index. Asset hrefs are the blob URLs of the registry the file was crawled from
(--registry-url overrides it), and eopack:reference properties name that registry, so
eopack pull and GDAL read from it directly. When that registry wants a token even to pull
(an anonymous request for an indexed blob answers 401 or 403), hrefs point instead at
/blobs/{repository}/{digest} of this server, which fetches the blob with this server's
credentials (-u/-p, or what eopack login stored), forwarding Range requests; it serves only
blobs the index knows. --assets direct or pass-through decides without asking.`,
		Example: `  eopack stac serve --index eo.stac.db --addr 127.0.0.1:8080
  eopack stac serve --index eo.stac.db --tiles 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStacServe(cmd.Context(), stdio, opts, nil)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, false)
	f.StringVar(&opts.index, "index", "", "index `file` written by eopack stac index (required)")
	f.StringVar(&opts.addr, "addr", "127.0.0.1:8080", "listen address")
	f.StringVar(&opts.tiles, "tiles", "", "XYZ base-map URL template for the page, e.g. https://tile.example.org/{z}/{x}/{y}.png (default: none, a graticule)")
	f.StringVar(&opts.registryURL, "registry-url", "", "the registry the assets are in, http(s)://host[:port] (default: the one the index was crawled from)")
	f.StringVar(&opts.assets, "assets", "auto", "asset hrefs: direct (the registry's blob URLs), pass-through (this server's /blobs/), or auto")
	f.StringVar(&opts.title, "title", "eopack", "title of the API and the page")
	return cmd
}

// runStacServe serves until ctx ends; ready, if set, gets the address once it listens.
func runStacServe(ctx context.Context, stdio *IO, opts *stacServeOptions, ready func(addr string)) error {
	if opts.index == "" {
		return usagef("--index FILE is required")
	}
	mode, err := stacserve.ParseMode(opts.assets)
	if err != nil {
		return usagef("--assets: %v", err)
	}
	var given *indexSource
	if opts.registryURL != "" {
		if given, err = parseRegistryURL(opts.registryURL); err != nil {
			return usagef("--registry-url: %v", err)
		}
	}
	if err := opts.readPassword(stdio.In, false); err != nil {
		return err
	}
	if _, err := os.Stat(opts.index); err != nil {
		return fmt.Errorf("--index: %w (eopack stac index writes one)", err)
	}
	ix, err := stacindex.OpenFile(opts.index)
	if err != nil {
		return err
	}
	defer ix.Close()
	src := given
	if src == nil {
		if src, err = loadSource(ctx, ix); err != nil {
			return err
		}
	}
	if src == nil {
		return usagef("%s does not say which registry it indexes: give --registry-url", opts.index)
	}
	o := opts.remote
	o.PlainHTTP = src.PlainHTTP
	client, err := o.Client(src.Registry)
	if err != nil {
		return err
	}
	srv, err := stacserve.New(ctx, stacserve.Options{
		Index: ix, Registry: src.Registry, PlainHTTP: src.PlainHTTP,
		Client: client, Anonymous: client.Client, Mode: mode, TileURL: opts.tiles, Title: opts.title,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return err
	}
	logger := log.New(stdio.Err, "", log.LstdFlags)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: eoregistry.ReadHeaderTimeout, IdleTimeout: eoregistry.IdleTimeout, ErrorLog: logger}
	assets := "the registry's blob URLs"
	if srv.PassThrough {
		assets = "this server's /blobs/ (the registry wants a token to pull)"
	}
	logger.Printf("eopack stac serve: http://%s/stac/ for %s from %s; asset hrefs: %s", ln.Addr(), src.Registry, opts.index, assets)
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), eoregistry.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	return nil
}

// parseRegistryURL reads http(s)://host[:port]; a bare host[:port] is https except on loopback.
func parseRegistryURL(s string) (*indexSource, error) {
	if !strings.Contains(s, "://") {
		if err := (registry.Reference{Registry: s}).ValidateRegistry(); err != nil {
			return nil, fmt.Errorf("%q: want http(s)://host[:port]", s)
		}
		return &indexSource{Registry: s, PlainHTTP: target.IsLoopback(s)}, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("%q: want http(s)://host[:port]", s)
	}
	return &indexSource{Registry: u.Host, PlainHTTP: u.Scheme == "http"}, nil
}
