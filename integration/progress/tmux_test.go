package progress

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pane is a tmux session of its own (a private server socket) running one shell script in a
// 120×40 terminal, read back with capture-pane as a person would see it.
type pane struct {
	t      *testing.T
	socket string
}

// startPane runs script with sh in dir, in a new detached tmux session. The pane stays open
// after the script ends (it sleeps), so its last screen can be read.
func startPane(t *testing.T, dir, script string) *pane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed (scripts/install-peers.sh installs it):", err)
	}
	p := &pane{t: t, socket: fmt.Sprintf("eopack-progress-%d-%d", os.Getpid(), time.Now().UnixNano())}
	p.tmux("new-session", "-d", "-s", "main", "-x", "120", "-y", "40", "-c", dir,
		"sh", "-c", script+"\necho \"exit=$?\"\nsleep 3600")
	t.Cleanup(func() { exec.Command("tmux", "-L", p.socket, "kill-server").Run() })
	return p
}

func (p *pane) tmux(args ...string) string {
	p.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-L", p.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is the visible pane, trailing blank lines and spaces removed.
func (p *pane) screen() string {
	p.t.Helper()
	lines := strings.Split(p.tmux("capture-pane", "-p", "-t", "main"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// waitFor polls the screen until ok accepts it and returns that screen; it fails the test
// with the last screen after limit (a bound on a hung command, not a speed check).
func (p *pane) waitFor(what string, limit time.Duration, ok func(string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		s := p.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("waiting for %s: not seen within %s; last screen:\n%s", what, limit, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exited waits for the script's end and returns the screen without the "exit=0" line; the
// script must have succeeded.
func (p *pane) exited() string {
	p.t.Helper()
	s := p.waitFor("the command's end", 3*time.Minute, func(s string) bool { return strings.Contains(s, "exit=") })
	if !strings.Contains(s, "exit=0") {
		p.t.Fatalf("command failed:\n%s", s)
	}
	return strings.TrimRight(strings.Replace(s, "exit=0", "", 1), "\n")
}

// saveArtifact logs a captured screen and, when EOPACK_ARTIFACTS is set, writes it there.
func saveArtifact(t *testing.T, name, screen string) {
	t.Helper()
	t.Logf("%s:\n%s", name, screen)
	dir := os.Getenv("EOPACK_ARTIFACTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(screen+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
