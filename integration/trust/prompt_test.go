package trust

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/sign"
)

// tmux runs a command on a real terminal (a detached tmux session) and types into it.
type tmux struct {
	t      *testing.T
	bin    string
	socket string
}

var sessions int

func newTmux(t *testing.T, dir string, command ...string) *tmux {
	t.Helper()
	bin, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatal("tmux not installed: run scripts/install-peers.sh")
	}
	sessions++
	// A tmux server of its own (-L), so no other tmux user is touched.
	m := &tmux{t: t, bin: bin, socket: fmt.Sprintf("eopack-trust-%d-%d", os.Getpid(), sessions)}
	args := append([]string{"new-session", "-d", "-s", "main", "-x", "150", "-y", "30", "-c", dir, "env", "-u", "COSIGN_PASSWORD"}, command...)
	if out, err := m.cmd(args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { m.cmd("kill-server").Run() })
	return m
}

func (m *tmux) cmd(args ...string) *exec.Cmd {
	return exec.Command(m.bin, append([]string{"-L", m.socket, "-f", "/dev/null"}, args...)...)
}

// waitFor polls the pane until it shows s (the program's own pace: no timing is asserted).
func (m *tmux) waitFor(s string) string {
	m.t.Helper()
	for i := 0; i < 600; i++ {
		out, _ := m.cmd("capture-pane", "-p", "-t", "main").Output()
		if strings.Contains(string(out), s) {
			return string(out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := m.cmd("capture-pane", "-p", "-t", "main").Output()
	m.t.Fatalf("the terminal never showed %q:\n%s", s, out)
	return ""
}

func (m *tmux) typeLine(s string) {
	m.t.Helper()
	if err := m.cmd("send-keys", "-t", "main", s, "Enter").Run(); err != nil {
		m.t.Fatal(err)
	}
}

// TestKeyPasswordPrompt: without COSIGN_PASSWORD, key generate asks for the password twice on
// the terminal, without echoing it, and the key opens with it.
func TestKeyPasswordPrompt(t *testing.T) {
	e := newEnv(t)
	m := newTmux(t, e.dir, "sh", "-c", e.eopack+" key generate --output-key-prefix typed; echo exit=$?; sleep 60")
	m.waitFor("Enter password for private key:")
	m.typeLine("typed-secret")
	m.waitFor("Enter password for private key again:")
	m.typeLine("typed-secret")
	screen := m.waitFor("exit=")
	if !strings.Contains(screen, "Public key written to typed.pub") || !strings.Contains(screen, "exit=0") {
		t.Fatalf("key generate on a terminal:\n%s", screen)
	}
	if strings.Contains(screen, "typed-secret") {
		t.Fatalf("the password was echoed:\n%s", screen)
	}
	if _, err := sign.LoadPrivateKey(filepath.Join(e.dir, "typed.key"), func(bool) ([]byte, error) { return []byte("typed-secret"), nil }); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(e.dir, "typed.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("typed.key: %v %v", st, err)
	}

	// Two different passwords: refused, nothing written.
	m2 := newTmux(t, e.dir, "sh", "-c", e.eopack+" key generate --output-key-prefix mismatch; echo exit=$?; sleep 60")
	m2.waitFor("Enter password for private key:")
	m2.typeLine("one")
	m2.waitFor("again:")
	m2.typeLine("two")
	screen = m2.waitFor("exit=")
	if !strings.Contains(screen, "Error: the passwords do not match") || !strings.Contains(screen, "exit=1") {
		t.Fatalf("mismatch:\n%s", screen)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "mismatch.key")); !os.IsNotExist(err) {
		t.Fatalf("mismatch.key written: %v", err)
	}
}
