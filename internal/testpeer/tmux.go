package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Pane is a command running on a real terminal: a detached session of a tmux server of its
// own (a private socket, so no other tmux user is touched), read back with capture-pane as a
// person would see it, and typed into with send-keys.
type Pane struct {
	t      testing.TB
	socket string
}

var panes atomic.Int64

// StartPane runs argv in dir on a cols×rows terminal; the tmux server is killed when the
// test ends. tmux comes from scripts/install-peers.sh.
func StartPane(t testing.TB, dir string, cols, rows int, argv ...string) *Pane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed (scripts/install-peers.sh installs it):", err)
	}
	p := &Pane{t: t, socket: fmt.Sprintf("eopack-test-%d-%d", os.Getpid(), panes.Add(1))}
	p.tmux(append([]string{"new-session", "-d", "-s", "main", "-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows), "-c", dir}, argv...)...)
	t.Cleanup(func() { exec.Command("tmux", "-L", p.socket, "kill-server").Run() })
	return p
}

func (p *Pane) tmux(args ...string) string {
	p.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-L", p.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Screen is the visible pane, trailing blank lines and spaces removed.
func (p *Pane) Screen() string {
	p.t.Helper()
	lines := strings.Split(p.tmux("capture-pane", "-p", "-t", "main"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// WaitFor polls the screen until ok accepts it and returns that screen; it fails the test
// with the last screen after limit (a bound on a hung command, not a speed check).
func (p *Pane) WaitFor(what string, limit time.Duration, ok func(string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		s := p.Screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("waiting for %s: not seen within %s; last screen:\n%s", what, limit, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SendLine types s and Enter.
func (p *Pane) SendLine(s string) {
	p.t.Helper()
	p.tmux("send-keys", "-t", "main", s, "Enter")
}
