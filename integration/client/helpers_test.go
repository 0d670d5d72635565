// Package client holds the integration tests of eopack's client verbs (push, pull, cp,
// attach, discover) against the pinned CNCF distribution registry and the pinned ORAS CLI.
package client

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

// env is one test's world: a work folder, eopack, oras and (optionally) a registry.
type env struct {
	t      *testing.T
	dir    string
	eopack string
	oras   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // eopack's digest cache stays inside the test
	return &env{t: t, dir: t.TempDir(), eopack: testpeer.Eopack(t), oras: testpeer.Bin(t, "oras")}
}

// eo runs eopack in the work folder and fails the test on error.
func (e *env) eo(args ...string) string {
	e.t.Helper()
	return testpeer.Run(e.t, e.dir, e.eopack, args...)
}

// eoFail runs eopack expecting failure and returns its output.
func (e *env) eoFail(args ...string) string {
	e.t.Helper()
	out, err := testpeer.RunErr(e.dir, e.eopack, args...)
	if err == nil {
		e.t.Fatalf("eopack %s: succeeded, want failure\n%s", strings.Join(args, " "), out)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n"); !strings.Contains(out, "Error: ") {
		e.t.Fatalf("eopack %s: no one-line error (%d lines)\n%s", strings.Join(args, " "), n+1, out)
	}
	return out
}

func (e *env) orasRun(args ...string) string {
	e.t.Helper()
	return testpeer.Run(e.t, e.dir, e.oras, args...)
}

// sh runs a shell script in the work folder with eopack on PATH.
func (e *env) sh(script string) string {
	e.t.Helper()
	cmd := testpeer.Command(bg, e.dir, filepath.Join(e.dir, ".docker"), "bash", "-euo", "pipefail", "-c", script)
	cmd.Env = append(cmd.Env, "PATH="+filepath.Dir(e.eopack)+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("script failed: %v\n%s\n--- script:\n%s", err, out, script)
	}
	return string(out)
}

func (e *env) path(p string) string { return filepath.Join(e.dir, p) }

func (e *env) write(p string, b []byte) {
	e.t.Helper()
	testpeer.WriteFile(e.t, e.path(p), b)
}

func (e *env) read(p string) []byte {
	e.t.Helper()
	b, err := os.ReadFile(e.path(p))
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// sameFile fails unless two files in the work folder are byte-identical.
func (e *env) sameFile(a, b string) {
	e.t.Helper()
	testpeer.SameFile(e.t, e.path(a), e.path(b))
}

// realTIFF is a real GeoTIFF from ../shared/data.
func realTIFF(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testpeer.SharedDir(), "data", "L7_ETMs.tif"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const stacItem = `{"type":"Feature","stac_version":"1.1.0","id":"L7-olinda","geometry":null,"properties":{"datetime":"2002-07-20T12:00:00Z"},"assets":{"imagery":{"href":"imagery.tif","type":"image/tiff"}},"links":[]}`

// lastField returns the value after "Digest: " in eopack/oras text output.
func digestLine(t *testing.T, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "Digest: "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Digest line in\n%s", out)
	return ""
}

var bg = context.Background()

func timeNow() time.Time { return time.Now().Add(time.Hour) }
