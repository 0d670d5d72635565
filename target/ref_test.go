package target

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote/retry"
)

func TestParseRemote(t *testing.T) {
	tests := []struct {
		in      string
		want    Ref
		wantErr string
	}{
		{in: "localhost:5000/eo/products:v1", want: Ref{Registry: "localhost:5000", Repository: "eo/products", Reference: "v1"}},
		{in: "127.0.0.1:5000/eo/products", want: Ref{Registry: "127.0.0.1:5000", Repository: "eo/products"}},
		{in: "ghcr.io/a/b@sha256:" + strings.Repeat("a", 64), want: Ref{Registry: "ghcr.io", Repository: "a/b", Reference: "sha256:" + strings.Repeat("a", 64)}},
		{in: "", wantErr: "empty reference"},
		{in: "products:v1", wantErr: `"products:v1"`},
		{in: "localhost:5000/EO:v1", wantErr: "repository"},
		{in: "localhost:5000/eo:v1!", wantErr: "tag"},
		{in: "localhost:5000/eo@sha256:zz", wantErr: "digest"},
	}
	for _, tt := range tests {
		got, err := ParseRemote(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidReference) {
				t.Errorf("ParseRemote(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRemote(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseLayout(t *testing.T) {
	dir := t.TempDir()
	orasDir := filepath.Join(dir, "x:eo", "products")
	if err := os.MkdirAll(orasDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(orasDir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d := "sha256:" + strings.Repeat("b", 64)
	tests := []struct {
		in      string
		want    Ref
		wantErr string
	}{
		{in: "dir", want: Ref{Layout: true, Path: "dir"}},
		{in: "dir:v1", want: Ref{Layout: true, Path: "dir", Reference: "v1"}},
		{in: "dir@" + d, want: Ref{Layout: true, Path: "dir", Reference: d}},
		{in: "eo-layout:eo/products:v1", want: Ref{Layout: true, Path: "eo-layout", Reference: "eo/products:v1"}},
		// a layout ORAS wrote for the same form is found where ORAS put it
		{in: filepath.Join(dir, "x") + ":eo/products:v1", want: Ref{Layout: true, Path: orasDir[:len(orasDir)-len("/products")] + "/products", Reference: "v1"}},
		{in: "", wantErr: "empty OCI layout path"},
		{in: ":v1", wantErr: "empty OCI layout path"},
		{in: "dir:", wantErr: "empty tag"},
		{in: "dir@sha256:nothex", wantErr: "invalid digest"},
		{in: "@" + d, wantErr: "empty OCI layout path"},
	}
	for _, tt := range tests {
		got, err := ParseLayout(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseLayout(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseLayout(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestSplitTags(t *testing.T) {
	tests := []struct {
		in, base string
		extra    []string
	}{
		{"localhost:5000/eo:v1,v2,latest", "localhost:5000/eo:v1", []string{"v2", "latest"}},
		{"localhost:5000/eo:v1", "localhost:5000/eo:v1", nil},
		{"eo-layout:eo/products:v1,v2", "eo-layout:eo/products:v1", []string{"v2"}},
	}
	for _, tt := range tests {
		base, extra := SplitTags(tt.in)
		if base != tt.base || strings.Join(extra, ",") != strings.Join(tt.extra, ",") {
			t.Errorf("SplitTags(%q) = %q %q", tt.in, base, extra)
		}
	}
}

func TestPlainHTTPFor(t *testing.T) {
	var o Options
	for host, want := range map[string]bool{"localhost:5000": true, "127.0.0.1:80": true, "[::1]:5000": true, "localhost": true, "ghcr.io": false, "10.0.0.1:5000": false} {
		if got := o.PlainHTTPFor(host); got != want {
			t.Errorf("PlainHTTPFor(%q) = %v", host, got)
		}
	}
}

func TestRefStringRoundTrip(t *testing.T) {
	for _, s := range []string{"localhost:5000/eo/products:v1", "ghcr.io/a/b@sha256:" + strings.Repeat("c", 64)} {
		r, err := ParseRemote(s)
		if err != nil || r.String() != s {
			t.Errorf("%q → %q, %v", s, r.String(), err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"localhost:5000/eo/products:v1", "eo-layout:eo/products:v1", "dir@sha256:" + strings.Repeat("a", 64), ":", "@", "a:b:c:d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseRemote(s); err == nil {
			if r.Registry == "" || r.Repository == "" {
				t.Fatalf("ParseRemote(%q) accepted without registry/repository: %+v", s, r)
			}
			if r2, err := ParseRemote(r.String()); err != nil || r2 != r {
				t.Fatalf("round trip %q → %q: %+v %v", s, r.String(), r2, err)
			}
		} else if !errors.Is(err, ErrInvalidReference) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("ParseRemote(%q) error %v", s, err)
		}
		if r, err := ParseLayout(s); err == nil && (r.Path == "" || !r.Layout) {
			t.Fatalf("ParseLayout(%q) = %+v", s, r)
		}
	})
}

func TestClientKeepsConcurrencyIdleConnections(t *testing.T) {
	for conc, want := range map[int]int{12: DefaultSmallConcurrency, 100: 100} {
		c, err := Options{Concurrency: conc, Username: "u", Password: "p"}.Client("example.org")
		if err != nil {
			t.Fatal(err)
		}
		rt := c.Client.Transport
		tr, ok := unwrapTransport(rt)
		if !ok {
			t.Fatalf("transport %T: no *http.Transport inside", rt)
		}
		if tr.MaxIdleConnsPerHost != want {
			t.Fatalf("--concurrency %d: MaxIdleConnsPerHost = %d, want %d", conc, tr.MaxIdleConnsPerHost, want)
		}
	}
}

// unwrapTransport finds the *http.Transport under oras-go's retry transport.
func unwrapTransport(rt http.RoundTripper) (*http.Transport, bool) {
	if r, ok := rt.(*retry.Transport); ok {
		rt = r.Base
	}
	tr, ok := rt.(*http.Transport)
	return tr, ok
}
