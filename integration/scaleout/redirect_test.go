package scaleout

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/internal/testpeer"
)

// With --blob-redirect a blob GET answers 307 to a presigned S3 URL (HEAD is answered by the
// replica itself), and real clients follow it: eopack pull gets the file byte for byte, and
// GDAL reads the Landsat COG through /vsicurl/ with the same checksums as from the file.
func TestBlobRedirect(t *testing.T) {
	c := newCluster(t, 2, "--blob-redirect")
	dir := t.TempDir()
	tif := filepath.Join(dir, "L7_ETMs.tif")
	b, err := os.ReadFile(filepath.Join(testpeer.SharedDir(), "data", "L7_ETMs.tif"))
	if err != nil {
		t.Fatal(err)
	}
	testpeer.WriteFile(t, tif, b)
	d := digest.FromBytes(b)
	eopack := testpeer.Eopack(t)
	testpeer.Run(t, dir, eopack, "push", c.addr()+"/eo/landsat:v1", "L7_ETMs.tif:image/tiff")

	for _, rep := range c.replicas {
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get("http://" + rep.Addr + "/v2/eo/landsat/blobs/" + d.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusTemporaryRedirect || !strings.HasPrefix(loc, s3.Endpoint+"/") || !strings.Contains(loc, "X-Amz-Signature=") {
			t.Fatalf("GET blob on %s: %d, Location %q; want 307 to a presigned URL of %s", rep.Addr, resp.StatusCode, loc, s3.Endpoint)
		}
		h := expect(t, http.StatusOK, rep.Addr, "HEAD", "/v2/eo/landsat/blobs/"+d.String(), nil)
		if h.Get("Content-Length") != "798453" || h.Get("Docker-Content-Digest") != d.String() {
			t.Fatalf("HEAD blob: %v", h)
		}
	}

	out := filepath.Join(dir, "out")
	testpeer.Run(t, dir, eopack, "pull", c.addr()+"/eo/landsat:v1", "-o", out)
	testpeer.SameFile(t, tif, filepath.Join(out, "L7_ETMs.tif"))

	remote := gdalinfo(t, dir, "-checksum", "/vsicurl/http://"+c.replicas[0].Addr+"/v2/eo/landsat/blobs/"+d.String())
	local := gdalinfo(t, dir, "-checksum", tif)
	if sums := checksums(remote); len(sums) != 6 || strings.Join(sums, ",") != strings.Join(checksums(local), ",") {
		t.Fatalf("checksums through the redirect %v, from the file %v", sums, checksums(local))
	}
}

// gdalinfo runs GDAL's gdalinfo without sidecar probing or retries.
func gdalinfo(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testpeer.Bin(t, "gdalinfo"), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR", "GDAL_HTTP_MAX_RETRY=0", "GDAL_PAM_ENABLED=NO")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gdalinfo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checksums are the band checksums gdalinfo -checksum prints.
func checksums(info string) []string {
	var out []string
	for _, line := range strings.Split(info, "\n") {
		if _, v, ok := strings.Cut(line, "Checksum="); ok {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}
