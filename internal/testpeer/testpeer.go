// Package testpeer starts and locates the real peers that integration tests use: the pinned
// CNCF distribution registry, the ORAS CLI, crane, regctl and the eopack binary itself.
//
// Peers are installed by scripts/install-peers.sh into $EOPACK_PEERS/bin (default
// ~/.cache/eopack/peers/bin). A missing peer fails the test with a message saying how to
// install it: integration tests are never silently skipped.
package testpeer

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// BinDir is where scripts/install-peers.sh puts the pinned peer binaries.
func BinDir() string {
	if d := os.Getenv("EOPACK_PEERS"); d != "" {
		return filepath.Join(d, "bin")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "eopack", "peers", "bin")
}

// Bin returns the path of a pinned peer binary (registry, oras, crane, regctl, conformance),
// failing the test if it is not installed.
func Bin(t testing.TB, name string) string {
	t.Helper()
	p, err := lookBin(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// RepoRoot is the root of the eopack module.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedDir is ../shared beside the repository (read-only data, schemas).
func SharedDir() string {
	if d := os.Getenv("EOPACK_SHARED"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), "..", "shared")
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// goCache is the Go build cache as the process started, before any test changed
// XDG_CACHE_HOME or HOME (from which the go command derives it).
var goCache = func() string {
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}()

// Eopack builds the eopack binary once per test process and returns its path:
// bin/test/eopack in the repository (tests put its folder on PATH), which each build replaces
// atomically (a process still running the one before keeps it), so that test processes leave
// no binary behind.
func Eopack(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildPath, buildErr = buildEopack(filepath.Join(RepoRoot(), "bin", "test"))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// buildEopack builds the eopack binary into dir/eopack through a temporary folder in dir,
// removed after.
func buildEopack(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".eopack-test-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "eopack")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/eopack")
	cmd.Dir = RepoRoot()
	// the build cache of the user, not of a test that moved XDG_CACHE_HOME or HOME
	cmd.Env = append(os.Environ(), "GOCACHE="+goCache)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, b)
	}
	bin := filepath.Join(dir, "eopack")
	return bin, os.Rename(out, bin)
}

// FreeAddr returns a free 127.0.0.1:port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := loopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// Server is a registry process started for a test.
type Server struct {
	Addr string // 127.0.0.1:port
	Root string // storage folder
	Cmd  *exec.Cmd
	Log  *bytes.Buffer
}

// Host is the registry's host:port, for references like Host()+"/eo/products:v1".
func (s *Server) Host() string { return s.Addr }

// Stop kills the server (SIGKILL) and waits for it.
func (s *Server) Stop() {
	if s.Cmd.Process != nil {
		s.Cmd.Process.Kill()
		s.Cmd.Wait()
	}
}

// WaitExit waits for the server to exit (after a SIGTERM, say), failing the test unless it
// exits cleanly within 40 s.
func (s *Server) WaitExit(t testing.TB) {
	t.Helper()
	exit := make(chan error, 1)
	go func() { exit <- s.Cmd.Wait() }()
	select {
	case err := <-exit:
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, s.Log)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not exit")
	}
}

// StartDistribution starts the pinned CNCF distribution registry with filesystem storage and
// deletes enabled on a free loopback port. It is stopped when the test ends.
func StartDistribution(t testing.TB) *Server {
	t.Helper()
	return StartDistributionWith(t, DistributionOptions{})
}

// DistributionOptions configure StartDistributionWith. The zero value is StartDistribution's
// registry: anonymous, deletes enabled.
type DistributionOptions struct {
	// Htpasswd is the path of an htpasswd file (see WriteHtpasswd): basic auth is required.
	Htpasswd string
	// NoDelete leaves deletes disabled: distribution's default configuration, and the
	// situation of Docker Hub and GHCR for API deletes.
	NoDelete bool
}

// StartDistributionWith starts the pinned CNCF distribution registry configured by o on a
// free loopback port. It is stopped when the test ends.
func StartDistributionWith(t testing.TB, o DistributionOptions) *Server {
	t.Helper()
	bin := Bin(t, "registry")
	root := t.TempDir()
	addr := FreeAddr(t)
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n",
		filepath.Join(root, "data"))
	if !o.NoDelete {
		cfg += "  delete:\n    enabled: true\n"
	}
	cfg += fmt.Sprintf("http:\n  addr: %s\n", addr)
	if o.Htpasswd != "" {
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: test\n    path: %s\n", o.Htpasswd)
	}
	cfgPath := filepath.Join(root, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return start(t, addr, root, bin, "serve", cfgPath)
}

// StartServe starts `eopack serve` on a free loopback port with a fresh root (or the given
// root, to restart over existing storage) plus any extra flags.
func StartServe(t testing.TB, root string, extra ...string) *Server {
	t.Helper()
	if root == "" {
		root = t.TempDir()
	}
	addr := FreeAddr(t)
	args := append([]string{"serve", "--addr", addr, "--root", root}, extra...)
	return start(t, addr, root, Eopack(t), args...)
}

func start(t testing.TB, addr, root, bin string, args ...string) *Server {
	t.Helper()
	log := &bytes.Buffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = log
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: addr, Root: root, Cmd: cmd, Log: log}
	t.Cleanup(s.Stop)
	if err := WaitReady(addr, 20*time.Second); err != nil {
		s.Stop()
		t.Fatalf("%s did not start: %v\n%s", filepath.Base(bin), err, log.String())
	}
	return s
}

// WaitReady polls GET /v2/ until the registry answers (any HTTP status counts: 401 is ready).
func WaitReady(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Run runs a binary with args in dir and returns its combined output, failing the test on a
// non-zero exit.
func Run(t testing.TB, dir, bin string, args ...string) string {
	t.Helper()
	out, err := RunErr(dir, bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}

// RunErr runs a binary and returns its combined output and error, for tests that expect failure.
// Credentials go to a Docker config folder shared by such runs, never the user's ~/.docker.
func RunErr(dir, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := Command(ctx, dir, filepath.Join(os.TempDir(), "eopack-test-docker-config"), bin, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Command is exec.CommandContext for bin in dir with DOCKER_CONFIG set to dockerConfig, so
// credentials that login stores (eopack's, ORAS's) stay in that folder: give each test its
// own (t.TempDir()) and no test sees another's. Append to cmd.Env to add variables (the
// last value of a repeated name wins).
func Command(ctx context.Context, dir, dockerConfig, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dockerConfig)
	return cmd
}
