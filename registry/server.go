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
	Addr      string // listen address, e.g. 127.0.0.1:5000
	Root      string // storage folder
	Htpasswd  string // bcrypt htpasswd file; empty: no auth
	Private   bool   // require auth to pull too
	TLSCert   string // with TLSKey: serve HTTPS
	TLSKey    string
	UploadTTL time.Duration // upload sessions untouched this long are removed
	Log       io.Writer     // server log (errors, start and stop)
}

// ShutdownTimeout is how long requests in flight may take to finish after ctx is cancelled.
const ShutdownTimeout = 30 * time.Second

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
	fs, err := NewFS(cfg.Root)
	if err != nil {
		return fmt.Errorf("storage %s: %w", cfg.Root, err)
	}
	opt := Options{Private: cfg.Private, Log: logger}
	if cfg.Htpasswd != "" {
		if opt.Auth, err = LoadHtpasswd(cfg.Htpasswd); err != nil {
			return fmt.Errorf("--htpasswd: %w", err)
		}
	}
	fs.Sweep(cfg.UploadTTL)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           New(fs, opt),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          logger,
	}
	bg, stopBg := context.WithCancel(context.Background())
	defer stopBg()
	go fs.cleanupLoop(bg, cfg.UploadTTL)
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	logger.Printf("eopack registry serving %s://%s from %s", scheme, ln.Addr(), cfg.Root)
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
		// Requests still running (e.g. a stalled upload) are cut; their sessions stay on
		// disk and can be resumed after a restart.
		logger.Printf("requests still running after %s, closing them: %v", ShutdownTimeout, err)
		srv.Close()
	}
	return nil
}
