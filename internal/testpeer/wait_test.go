package testpeer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWaitBinStates(t *testing.T) {
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("installed", func(t *testing.T) {
		dir := t.TempDir()
		write(filepath.Join(dir, "cosign"), "bin")
		write(filepath.Join(dir, ".cosign.version"), "m@v1\n")
		p, err := waitBin(dir, "cosign", time.Second, time.Millisecond)
		if err != nil || p != filepath.Join(dir, "cosign") {
			t.Fatalf("got %q, %v", p, err)
		}
	})
	t.Run("failed", func(t *testing.T) {
		dir := t.TempDir()
		write(filepath.Join(dir, ".cosign.failed"), "m@v1\n")
		write(filepath.Join(dir, ".cosign.log"), "compile error here\n")
		_, err := waitBin(dir, "cosign", time.Second, time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "compile error here") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("not building", func(t *testing.T) {
		dir := t.TempDir()
		_, err := waitBin(dir, "cosign", time.Second, time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "not being built") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("stale lock", func(t *testing.T) {
		dir := t.TempDir()
		write(filepath.Join(dir, ".cosign.lock", "pid"), "999999999")
		_, err := waitBin(dir, "cosign", time.Second, time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "not being built") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("finishes while waiting", func(t *testing.T) {
		dir := t.TempDir()
		write(filepath.Join(dir, ".cosign.lock", "pid"), strconv.Itoa(os.Getpid()))
		go func() {
			time.Sleep(20 * time.Millisecond)
			write(filepath.Join(dir, "cosign"), "bin")
			write(filepath.Join(dir, ".cosign.version"), "m@v1\n")
		}()
		if _, err := waitBin(dir, "cosign", time.Minute, time.Millisecond); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("times out", func(t *testing.T) {
		dir := t.TempDir()
		write(filepath.Join(dir, ".cosign.lock", "pid"), strconv.Itoa(os.Getpid()))
		_, err := waitBin(dir, "cosign", 10*time.Millisecond, time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "still building") {
			t.Fatalf("got %v", err)
		}
	})
}
