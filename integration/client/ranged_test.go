package client

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// rangedSize is large enough to be fetched as parallel ranges (remote.DefaultMinSize is
// 64 MiB, remote.DefaultChunkSize 16 MiB: 13 ranges).
const rangedSize = 200 << 20

// TestRangedPullOfLargeBlob pushes a 200 MiB random file, pulls it back through a counting
// proxy in front of the registry, and checks the file is byte-identical, nothing else was
// left in the output folder, and the blob came as parallel Range requests — also when the
// registry wants credentials (the ranges go through the same authenticated client).
func TestRangedPullOfLargeBlob(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("EOPACK_RANGED_MIN_SIZE", "64MiB") // the default, whatever the caller's environment
	eopack := testpeer.Eopack(t)
	dir := t.TempDir()
	sum := writeRandom(t, filepath.Join(dir, "big.bin"), rangedSize)
	htpasswd := testpeer.WriteHtpasswd(t, "eo", "s3cret")
	for _, reg := range []struct {
		name  string
		start func(t *testing.T) *testpeer.Server
		creds []string
	}{
		{"distribution", func(t *testing.T) *testpeer.Server { return testpeer.StartDistribution(t) }, nil},
		{"distribution-htpasswd", func(t *testing.T) *testpeer.Server {
			return testpeer.StartDistributionWith(t, testpeer.DistributionOptions{Htpasswd: htpasswd})
		}, []string{"-u", "eo", "-p", "s3cret"}},
		{"serve", func(t *testing.T) *testpeer.Server { return testpeer.StartServe(t, "") }, nil},
	} {
		t.Run(reg.name, func(t *testing.T) {
			srv := reg.start(t)
			testpeer.Run(t, dir, eopack, append([]string{"push", srv.Host() + "/ranged/big:v1", "big.bin"}, reg.creds...)...)
			proxy, ranges := countingProxy(t, srv.Host())
			out := filepath.Join(t.TempDir(), "out")
			testpeer.Run(t, dir, eopack, append([]string{"pull", proxy + "/ranged/big:v1", "-o", out}, reg.creds...)...)
			if got := testpeer.FileDigest(t, filepath.Join(out, "big.bin")); got != sum {
				t.Fatalf("pulled big.bin has sha256 %s, pushed %s", got, sum)
			}
			names, err := os.ReadDir(out)
			if err != nil || len(names) != 1 {
				t.Fatalf("output folder holds %v (%v), want only big.bin", names, err)
			}
			if n := ranges.Load(); n < rangedSize/(16<<20) {
				t.Fatalf("%d range requests for a %d-byte blob, want parallel ranges", n, rangedSize)
			}
		})
	}
}

// writeRandom writes size pseudo-random bytes to path and returns their sha256 (hex).
func writeRandom(t *testing.T, path string, size int64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	src := io.LimitReader(rand.NewChaCha8([32]byte{'e', 'o'}), size)
	if _, err := io.Copy(io.MultiWriter(f, h), src); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// countingProxy forwards 127.0.0.1:port to host and counts the blob GETs that carry Range.
func countingProxy(t *testing.T, host string) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var ranges atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: host})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") && r.Header.Get("Range") != "" {
			ranges.Add(1)
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), &ranges
}
