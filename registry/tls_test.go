package registry

import (
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/eopack/eopack/internal/testpeer"
)

// serveTLS starts Serve over HTTPS until ctx is cancelled; it returns the address and
// Serve's result.
func serveTLS(t *testing.T, ctx context.Context) (string, <-chan error) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := testpeer.NewCA(t).Issue(t, "127.0.0.1")
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, Config{Addr: "127.0.0.1:0", Root: filepath.Join(dir, "root"), TLSCert: certFile, TLSKey: keyFile},
			func(a string) { addrc <- a })
	}()
	select {
	case addr := <-addrc:
		return addr, done
	case err := <-done:
		t.Fatal(err)
	}
	return "", nil
}

// Serve answers over TLS and returns nil once its context is cancelled.
func TestServeTLSAndShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := serveTLS(t, ctx)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := client.Get("https://" + addr + "/v2/")
	if err != nil || res.StatusCode != 200 || res.TLS == nil {
		t.Fatalf("GET https /v2/: %v %v", res, err)
	}
	res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
	dir := t.TempDir()
	certFile, _ := testpeer.NewCA(t).Issue(t, "127.0.0.1")
	if err := Serve(context.Background(), Config{Addr: "127.0.0.1:0", Root: dir, TLSCert: certFile}, nil); err == nil {
		t.Fatal("--tls-cert without --tls-key accepted")
	}
	if err := Serve(context.Background(), Config{Addr: "127.0.0.1:0", Root: dir, Private: true}, nil); err == nil {
		t.Fatal("--private without --htpasswd accepted")
	}
}

// Over HTTPS serve speaks HTTP/2 with receive windows that let an upload send more than
// Go's default 1 MiB per round trip: its SETTINGS give every request H2StreamWindow, and
// its first WINDOW_UPDATE raises the connection's to H2ConnWindow.
func TestServeHTTP2Windows(t *testing.T) {
	addr, _ := serveTLS(t, t.Context())
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("negotiated %q, want h2", p)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	stream, connWindow := uint32(0), uint32(65535) // the protocol's initial windows
	for seen := 0; seen < 2; {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				stream, _ = f.Value(http2.SettingInitialWindowSize)
				seen++
			}
		case *http2.WindowUpdateFrame:
			if f.StreamID == 0 {
				connWindow += f.Increment
				seen++
			}
		}
	}
	if stream != H2StreamWindow || connWindow != H2ConnWindow {
		t.Fatalf("windows: request %d, connection %d; want %d and %d", stream, connWindow, H2StreamWindow, H2ConnWindow)
	}
}
