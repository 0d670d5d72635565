// Package verbs tests eopack's everyday verbs (manifest, blob, repo, tag, resolve, login,
// logout) against the real pinned peers: the CNCF distribution registry, `eopack serve`, and
// the ORAS CLI, whose output eopack must reproduce wherever that output is data.
package verbs

import (
	"bytes"
	"context"
	"crypto/rand"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

// result is one finished command.
type result struct {
	stdout, stderr string
	err            error
}

// cmdEnv runs peers with an isolated DOCKER_CONFIG so no test sees another's credentials.
type cmdEnv struct {
	dir          string // working directory
	dockerConfig string
	extraEnv     []string // e.g. PATH with a credential helper
}

func newEnv(t *testing.T) *cmdEnv {
	t.Helper()
	return &cmdEnv{dir: t.TempDir(), dockerConfig: t.TempDir()}
}

// command is bin with args in the env's folder, Docker config and extra variables.
func (e *cmdEnv) command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := testpeer.Command(ctx, e.dir, e.dockerConfig, bin, args...)
	cmd.Env = append(cmd.Env, e.extraEnv...)
	return cmd
}

// run runs bin with args and stdin; it never fails the test itself.
func (e *cmdEnv) run(stdin, bin string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := e.command(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return result{out.String(), errOut.String(), err}
}

// must runs bin and fails the test on a non-zero exit; it returns stdout.
func (e *cmdEnv) must(t *testing.T, bin string, args ...string) string {
	t.Helper()
	r := e.run("", bin, args...)
	if r.err != nil {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", filepath.Base(bin), strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs bin, expects a non-zero exit and an error naming each of msgs; eopack's must be
// one line "Error: …".
func (e *cmdEnv) fails(t *testing.T, stdin, bin string, args []string, msgs ...string) string {
	t.Helper()
	r := e.run(stdin, bin, args...)
	if r.err == nil {
		t.Fatalf("%s %s succeeded, want failure\nstdout: %s", filepath.Base(bin), strings.Join(args, " "), r.stdout)
	}
	if filepath.Base(bin) == "eopack" && (strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "Error: ")) {
		t.Errorf("%s %s: want one error line, got %q", filepath.Base(bin), strings.Join(args, " "), r.stderr)
	}
	for _, m := range msgs {
		if !strings.Contains(r.stderr, m) {
			t.Errorf("%s %s: error %q does not mention %q", filepath.Base(bin), strings.Join(args, " "), r.stderr, m)
		}
	}
	return r.stderr
}

// write creates a file under the env's folder and returns its name (relative, as users type).
func (e *cmdEnv) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	testpeer.WriteFile(t, filepath.Join(e.dir, name), data)
	return name
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// peers returns the eopack binary and the pinned ORAS CLI.
func peers(t *testing.T) (eopack, oras string) {
	t.Helper()
	return testpeer.Eopack(t), testpeer.Bin(t, "oras")
}

// sameOutput runs the same verb with eopack and oras and requires identical stdout.
func sameOutput(t *testing.T, e *cmdEnv, eopack, oras string, orasFlags []string, args ...string) string {
	t.Helper()
	want := e.must(t, oras, append(append([]string{}, args...), orasFlags...)...)
	got := e.must(t, eopack, args...)
	if got != want {
		t.Errorf("eopack %s:\n%q\noras printed:\n%q", strings.Join(args, " "), got, want)
	}
	return got
}
