package testpeer

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNetProxyCutsAndCounts(t *testing.T) {
	got := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got = int(n)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	p := StartNetProxy(t, strings.TrimPrefix(srv.URL, "http://"), NetProxyOptions{CutUpEvery: 1 << 20})

	resp, err := http.Post("http://"+p.Addr+"/", "application/octet-stream", bytes.NewReader(make([]byte, 100<<10)))
	if err != nil {
		t.Fatalf("small body through the proxy: %v", err)
	}
	resp.Body.Close()
	if got != 100<<10 || p.Down() == 0 || p.Up() < 100<<10 {
		t.Fatalf("server got %d, proxy up %d down %d", got, p.Up(), p.Down())
	}

	if _, err := http.Post("http://"+p.Addr+"/", "application/octet-stream", bytes.NewReader(make([]byte, 3<<20))); err == nil {
		t.Fatal("a 3 MiB body went through a proxy that cuts every 1 MiB")
	}
	if p.Cuts() != 1 {
		t.Fatalf("cuts = %d, want 1", p.Cuts())
	}
}

func TestBodyLimitProxyRefusesLargeBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	p := StartBodyLimitProxy(t, strings.TrimPrefix(srv.URL, "http://"), 1<<20)
	for _, c := range []struct {
		size int
		want int
	}{{1 << 20, http.StatusCreated}, {1<<20 + 1, http.StatusRequestEntityTooLarge}} {
		resp, err := http.Post("http://"+p.Addr+"/", "application/octet-stream", bytes.NewReader(make([]byte, c.size)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("body of %d bytes: status %d, want %d", c.size, resp.StatusCode, c.want)
		}
	}
	if p.Refused() != 1 {
		t.Fatalf("refused = %d, want 1", p.Refused())
	}
}
