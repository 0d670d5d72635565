package testpeer

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// GDAL runs a GDAL utility (gdal_translate, gdalinfo, …, found as Bin finds peers) in dir
// and returns its combined output, failing the test on a non-zero exit. The GDAL_ and CPL_
// variables of the environment are left out and GDAL is told to probe no sidecar files
// (.aux.xml, .ovr, …: over HTTP, requests a test does not expect), to write no .aux.xml
// and to fail instead of retrying an HTTP request.
func GDAL(t testing.TB, dir, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(Bin(t, tool), args...)
	cmd.Dir = dir
	cmd.Env = gdalEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func gdalEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "CPL_") && !strings.HasPrefix(e, "GDAL_") {
			env = append(env, e)
		}
	}
	return append(env, "GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR", "GDAL_HTTP_MAX_RETRY=0", "GDAL_PAM_ENABLED=NO")
}
