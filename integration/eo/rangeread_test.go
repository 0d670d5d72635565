package eo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// countingProxy is a reverse proxy in front of a registry that counts response body bytes.
type countingProxy struct {
	*httptest.Server
	bytes    atomic.Int64
	requests atomic.Int64
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func newCountingProxy(t *testing.T, upstream string) *countingProxy {
	u, err := url.Parse("http://" + upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		p.requests.Add(1)
		r.Body = countingBody{r.Body, &p.bytes}
		return nil
	}
	p.Server = httptest.NewServer(rp)
	t.Cleanup(p.Close)
	return p
}

func (p *countingProxy) reset() { p.bytes.Store(0); p.requests.Store(0) }

// TestGDALRangeReadsFromServe: gdalinfo and gdal_translate -srcwin read a multi-MB COG
// straight from eopack serve through /vsicurl/, and a small window moves well under a
// quarter of the file's bytes (counted by a proxy in front of serve).
func TestGDALRangeReadsFromServe(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(testpeer.SharedDir(), "data", "L7_ETMs.tif"), filepath.Join(dir, "L7_ETMs.tif"))
	testpeer.GDAL(t, dir, "gdal_translate", "-q", "-outsize", "800%", "800%", "-r", "bilinear", "-of", "COG", "L7_ETMs.tif", "big.tif")
	st, err := os.Stat(filepath.Join(dir, "big.tif"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < 8<<20 {
		t.Fatalf("test COG is only %d bytes", st.Size())
	}
	srv := testpeer.StartServe(t, "")
	eopack := testpeer.Eopack(t)
	testpeer.Run(t, dir, eopack, "stac", "create", "big.tif", "-o", "item.json", "--datetime", "2001-06-01T12:57:00Z")
	ref := srv.Host() + "/eo/big:v1"
	testpeer.Run(t, dir, eopack, "push", ref, "--stac", "item.json")
	var sum struct {
		Assets []struct{ Key, Digest string } `json:"assets"`
	}
	if err := json.Unmarshal([]byte(testpeer.Run(t, "", eopack, "inspect", ref, "--format", "json")), &sum); err != nil || len(sum.Assets) != 1 {
		t.Fatalf("inspect: %v %+v", err, sum)
	}
	proxy := newCountingProxy(t, srv.Host())
	// inspect reads the manifest only: a few KiB, not the 40+ MB layer.
	testpeer.Run(t, "", eopack, "inspect", strings.TrimPrefix(proxy.URL, "http://")+"/eo/big:v1")
	if b := proxy.bytes.Load(); b == 0 || b > 64<<10 {
		t.Errorf("inspect moved %d bytes", b)
	}
	proxy.reset()
	src := "/vsicurl/" + proxy.URL + "/v2/eo/big/blobs/" + sum.Assets[0].Digest

	info := testpeer.GDAL(t, dir, "gdalinfo", src)
	if !strings.Contains(info, "Size is 2792, 2816") || !strings.Contains(info, "31985") {
		t.Fatalf("gdalinfo over /vsicurl/:\n%s", info)
	}
	if b := proxy.bytes.Load(); b*4 >= st.Size() {
		t.Errorf("gdalinfo moved %d of %d bytes", b, st.Size())
	}
	t.Logf("gdalinfo: %d requests, %d bytes of %d", proxy.requests.Load(), proxy.bytes.Load(), st.Size())

	proxy.reset()
	testpeer.GDAL(t, dir, "gdal_translate", "-q", "-srcwin", "1000", "1200", "256", "256", src, "window.tif")
	moved := proxy.bytes.Load()
	t.Logf("gdal_translate -srcwin 256x256: %d requests, %d bytes of %d (%.1f%%)", proxy.requests.Load(), moved, st.Size(), 100*float64(moved)/float64(st.Size()))
	if moved == 0 || moved*4 >= st.Size() {
		t.Errorf("window read moved %d of %d bytes; want well under a quarter", moved, st.Size())
	}
	// The window read remotely equals the same window read from the local file.
	testpeer.GDAL(t, dir, "gdal_translate", "-q", "-srcwin", "1000", "1200", "256", "256", "big.tif", "window-local.tif")
	sum1 := checksums(testpeer.GDAL(t, dir, "gdalinfo", "-checksum", "window.tif"))
	sum2 := checksums(testpeer.GDAL(t, dir, "gdalinfo", "-checksum", "window-local.tif"))
	if len(sum1) != 6 || strings.Join(sum1, ",") != strings.Join(sum2, ",") {
		t.Errorf("window checksums remote %v, local %v", sum1, sum2)
	}
}

var checksumRE = regexp.MustCompile(`Checksum=(\d+)`)

func checksums(gdalinfo string) []string {
	var out []string
	for _, m := range checksumRE.FindAllStringSubmatch(gdalinfo, -1) {
		out = append(out, m[1])
	}
	return out
}
