// Package scaleout tests `eopack serve` as several replicas on shared storage: the real
// PostgreSQL (Debian's, a throwaway cluster) for the metadata and the real versitygw S3
// server for the blobs, every request free to land on any replica.
package scaleout

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// The peers one test process shares: each test gets its own database and bucket.
var (
	pg *testpeer.Postgres
	s3 *testpeer.S3
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var stopPG, stopS3 func()
	var err error
	if pg, stopPG, err = testpeer.StartPostgresMain(testpeer.PostgresOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, "scaleout:", err)
		return 1
	}
	defer stopPG()
	if s3, stopS3, err = testpeer.StartS3Main(); err != nil {
		fmt.Fprintln(os.Stderr, "scaleout:", err)
		return 1
	}
	defer stopS3()
	// The replicas (child processes) take the S3 credentials from the environment.
	for k, v := range s3.Env() {
		os.Setenv(k, v)
	}
	return m.Run()
}

// cluster is n replicas of `eopack serve` on one fresh database and bucket, and a
// round-robin proxy in front of them.
type cluster struct {
	t        *testing.T
	db       string // postgres:// URL
	blobs    string // s3:// URL
	extra    []string
	replicas []*testpeer.Server
	proxy    *httptest.Server
	next     atomic.Uint64
}

func newCluster(t *testing.T, n int, extra ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, db: pg.NewDatabase(t), blobs: s3.NewBucket(t), extra: extra}
	for range n {
		c.replicas = append(c.replicas, c.startReplica())
	}
	c.proxy = httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			i := c.next.Add(1) % uint64(len(c.replicas))
			r.SetURL(&url.URL{Scheme: "http", Host: c.replicas[i].Addr})
			r.Out.Host = r.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	})
	t.Cleanup(c.proxy.Close)
	return c
}

// startReplica starts one more `eopack serve` on the cluster's storage.
func (c *cluster) startReplica() *testpeer.Server {
	c.t.Helper()
	args := append([]string{"--db", c.db, "--blobs", c.blobs, "--gc-interval", "0"}, c.extra...)
	return testpeer.StartServe(c.t, c.t.TempDir(), args...)
}

// addr is the proxy's host:port.
func (c *cluster) addr() string { return c.proxy.Listener.Addr().String() }
