package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

// Config is what `eopack serve` runs with.
type Config struct {
	Addr  string // listen address, e.g. 127.0.0.1:5000
	Root  string // storage folder
	DB    string // postgres:// URL of a shared metadata database ("": SQLite in Root)
	Blobs string // s3:// URL or folder of the blob store ("": Root/_blobs)
	// BlobRedirect answers blob GETs with a 307 to a presigned URL of an object store.
	BlobRedirect bool
	Htpasswd     string // bcrypt htpasswd file; empty: no auth
	Private      bool   // require auth to pull too
	TLSCert      string // with TLSKey: serve HTTPS
	TLSKey       string
	UploadTTL    time.Duration // grace period: upload sessions untouched and unused blobs this old are collected
	GCInterval   time.Duration // how often garbage is collected online; 0: never
	MaxConns     int           // open connections at most (0: from the file-descriptor limit)
	Log          io.Writer     // server log (errors, start and stop)
	// Mount builds the server's handler around the registry's (adding the STAC API and the
	// web page beside /v2/); nil serves the registry alone.
	Mount func(st *Storage, reg *Handler) http.Handler
}

// Timeouts of the HTTP server. Bodies have no deadline (a large blob may take long), but a
// connection must send its request header in time and may idle only so long between requests.
const (
	ReadHeaderTimeout = 10 * time.Second
	IdleTimeout       = 2 * time.Minute
	// ShutdownTimeout is how long requests in flight may take to finish after ctx is cancelled.
	ShutdownTimeout = 30 * time.Second
)

// HTTP/2 receive windows (HTTPS only). Go's defaults, 1 MiB per connection and per request,
// let a client send 1 MiB per round trip whatever the number of uploads it multiplexes: 50
// MiB/s at 20 ms. These let an upload go as fast as over an HTTP/1.1 connection, whose
// window the kernel grows to 6 MiB; they bound what a connection's unread bodies may hold.
const (
	H2StreamWindow = 8 << 20
	H2ConnWindow   = 32 << 20
)

// Serve runs the registry until ctx is cancelled, then shuts down gracefully: it stops
// accepting connections and lets requests in flight finish (up to ShutdownTimeout). ready, if
// set, is called with the listening address once the port is open.
func Serve(ctx context.Context, cfg Config, ready func(addr string)) error {
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if cfg.Private && cfg.Htpasswd == "" {
		return errors.New("--private needs --htpasswd")
	}
	if cfg.UploadTTL <= 0 {
		cfg.UploadTTL = 24 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	logger := log.New(cfg.Log, "", log.LstdFlags)
	opt := Options{Private: cfg.Private, Log: logger, BlobRedirect: cfg.BlobRedirect}
	if cfg.Htpasswd != "" {
		var err error
		if opt.Auth, err = LoadHtpasswd(cfg.Htpasswd); err != nil {
			return fmt.Errorf("--htpasswd: %w", err)
		}
	}
	loc := Location{Root: cfg.Root, DB: cfg.DB, Blobs: cfg.Blobs}
	st, err := OpenLocation(ctx, loc, cfg.Log)
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	guard := newConnGuard(ln, cfg.MaxConns)
	reg := New(st, opt)
	var handler http.Handler = reg
	if cfg.Mount != nil {
		handler = cfg.Mount(st, reg)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		ConnState:         guard.track,
		ErrorLog:          logger,
		HTTP2:             &http.HTTP2Config{MaxReceiveBufferPerStream: H2StreamWindow, MaxReceiveBufferPerConnection: H2ConnWindow},
	}
	bg, stopBg := context.WithCancel(context.Background())
	defer stopBg()
	if cfg.GCInterval > 0 {
		go st.gcLoop(bg, cfg.GCInterval, cfg.UploadTTL, logger.Printf)
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- srv.ServeTLS(guard, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- srv.Serve(guard)
		}
	}()
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	logger.Printf("eopack registry serving %s://%s from %s (at most %d connections)", scheme, ln.Addr(), loc, guard.max)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Printf("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running (e.g. a stalled upload) are cut; their sessions stay in
		// the metadata and can be resumed after a restart.
		logger.Printf("requests still running after %s, closing them: %v", ShutdownTimeout, err)
		srv.Close()
	}
	return nil
}
