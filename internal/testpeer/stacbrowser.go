package testpeer

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PeersDir is where scripts/install-peers.sh keeps what it builds: bin/ and STAC Browser.
func PeersDir() string {
	return filepath.Dir(BinDir())
}

// StacBrowser returns the folder of the STAC Browser site (its dist/, built with hash
// routes) that scripts/install-peers.sh builds in the background, waiting for the build as
// WaitBin does; the test fails, never skips, when the build failed or is not running.
func StacBrowser(t testing.TB) string {
	t.Helper()
	p, err := waitBin(PeersDir(), "stac-browser", BuildWait, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(p, "dist")
	if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
		t.Fatalf("STAC Browser build has no index.html: %v (rerun scripts/install-peers.sh after removing %s)", err, p)
	}
	return dist
}
