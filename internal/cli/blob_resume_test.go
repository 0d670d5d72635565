package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/registry"
)

// blob fetch --output of a large blob resumes where a failed run stopped: the first run's
// registry breaks every range from 8 MiB on, the second one fetches only what is missing.
func TestBlobFetchResumes(t *testing.T) {
	t.Setenv("EOPACK_RANGED_MIN_SIZE", "1MiB")
	fs := openStorage(t)
	var asked, served atomic.Int64
	h := registry.New(fs, registry.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var start, end int64
		if n, _ := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-%d", &start, &end); n == 2 {
			if r.URL.Query().Get("broken") != "" && end >= 8<<20 {
				// break only once the ranges below 8 MiB were answered
				for i := 0; i < 1000 && served.Load() < 2; i++ {
					time.Sleep(10 * time.Millisecond)
				}
				panic(http.ErrAbortHandler)
			}
			asked.Add(end - start + 1)
			defer served.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	dir := t.TempDir()
	data := make([]byte, 20<<20) // above one 16 MiB range: fetched as ranges
	rand.NewChaCha8([32]byte{'b'}).Read(data)
	file := filepath.Join(dir, "B04.tif")
	os.WriteFile(file, data, 0o644)
	d := digest.FromBytes(data)
	host := strings.TrimPrefix(srv.URL, "http://")
	verbsMust(t, "", "blob", "push", host+"/eo/products", file)

	out := filepath.Join(dir, "out", "B04.tif")
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Set("broken", "1")
		r.URL.RawQuery = q.Encode()
		srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer broken.Close()
	verbsFail(t, 1, "", []string{"blob", "fetch", "--output", out, strings.TrimPrefix(broken.URL, "http://") + "/eo/products@" + d.String()}, "bytes")
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 2 || entries[0].Name() != ".B04.tif.partial" {
		t.Fatalf("after a failed fetch the folder holds %v, want the hidden partial file and its journal", entries)
	}

	asked.Store(0)
	verbsMust(t, "", "blob", "fetch", "--output", out, host+"/eo/products@"+d.String())
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatalf("fetched %d bytes, want the %d pushed", len(got), len(data))
	}
	// the first run got up to 8 MiB, less what was still in flight or not yet journaled when
	// it gave up (how much depends on timing): the second run asks for the rest, not all
	if n := asked.Load(); n < 12<<20 || n > int64(len(data))-1<<20 {
		t.Fatalf("second run asked for %d bytes, want the 12 MiB the first run could not get and some of what it kept", n)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Fatalf("folder holds %v, want B04.tif alone", entries)
	}
	verbsFail(t, 1, "", []string{"blob", "fetch", "--output", filepath.Dir(out), host + "/eo/products@" + d.String()}, "folder")
}
