package verbs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

// maxRSS runs bin to completion and returns its peak resident set size in bytes.
func maxRSS(t *testing.T, e *cmdEnv, bin string, args ...string) int64 {
	t.Helper()
	cmd := e.command(context.Background(), bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no rusage on this platform")
	}
	return ru.Maxrss * 1024 // KiB on Linux
}

// writeRandomFile streams size random bytes into name and returns their digest.
func writeRandomFile(t *testing.T, e *cmdEnv, name string, size int64) string {
	t.Helper()
	f, err := os.Create(filepath.Join(e.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// checkSum requires the file's sha256 to be dg.
func checkSum(t *testing.T, e *cmdEnv, name, dg string) {
	t.Helper()
	if got := testpeer.FileDigest(t, filepath.Join(e.dir, name)); got != dg {
		t.Errorf("%s has digest %s, want %s", name, got, dg)
	}
}

// hashOfStdout runs bin, hashing its stdout as it streams, and requires digest dg.
func hashOfStdout(t *testing.T, e *cmdEnv, dg, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := e.command(ctx, bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, stdout); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s %s: %v", filepath.Base(bin), strings.Join(args, " "), err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != dg {
		t.Errorf("stdout of %s has digest %s, want %s", strings.Join(args, " "), got, dg)
	}
}
