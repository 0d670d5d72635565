package testpeer

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BuildWait is how long WaitBin waits for a peer that scripts/install-peers.sh builds in the
// background (cosign: about 13 CPU-minutes).
const BuildWait = 25 * time.Minute

// WaitBin returns the path of a peer that scripts/install-peers.sh builds in the background
// (cosign), waiting up to BuildWait for its build to finish. The test fails, never skips,
// when the build failed, when no build is running and the peer is missing, or on timeout.
func WaitBin(t testing.TB, name string) string {
	t.Helper()
	p, err := waitBin(BinDir(), name, BuildWait, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitBin polls dir for name and its stamp .name.version (written after the binary is in
// place), the failure marker .name.failed and the build lock .name.lock/pid.
func waitBin(dir, name string, timeout, every time.Duration) (string, error) {
	bin := filepath.Join(dir, name)
	stamp := filepath.Join(dir, "."+name+".version")
	failed := filepath.Join(dir, "."+name+".failed")
	lock := filepath.Join(dir, "."+name+".lock")
	log := filepath.Join(dir, "."+name+".log")
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(stamp); err == nil {
			if _, err := os.Stat(bin); err == nil {
				return bin, nil
			}
		}
		if b, err := os.ReadFile(failed); err == nil {
			return "", fmt.Errorf("building peer %s (%s) failed; last lines of %s:\n%s", name, strings.TrimSpace(string(b)), log, tail(log, 20))
		}
		if !building(lock) {
			// The build may have finished between the two checks above.
			if _, err := os.Stat(stamp); err == nil {
				continue
			}
			return "", fmt.Errorf("peer %s not installed and not being built: run scripts/install-peers.sh (looked in %s)", name, dir)
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("peer %s still building after %s (log: %s)", name, timeout, log)
		}
		time.Sleep(every)
	}
}

// building reports whether the lock folder names a live builder process.
func building(lock string) bool {
	b, err := os.ReadFile(filepath.Join(lock, "pid"))
	if err != nil {
		_, statErr := os.Stat(lock)
		return statErr == nil // the lock is taken, its PID not written yet
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	return syscall.Kill(pid, 0) == nil
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
