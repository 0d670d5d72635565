package trust

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
	"github.com/eopack/eopack/sign"
)

// terminal runs command in dir on a real terminal (testpeer.Pane), without COSIGN_PASSWORD,
// so that eopack asks for the password there.
func terminal(t *testing.T, dir string, command ...string) *testpeer.Pane {
	t.Helper()
	return testpeer.StartPane(t, dir, 150, 30, append([]string{"env", "-u", "COSIGN_PASSWORD"}, command...)...)
}

// waitText waits until the terminal shows s (the program's own pace: no timing is asserted).
func waitText(t *testing.T, p *testpeer.Pane, s string) string {
	t.Helper()
	return p.WaitFor(fmt.Sprintf("%q", s), time.Minute, func(screen string) bool { return strings.Contains(screen, s) })
}

// TestKeyPasswordPrompt: without COSIGN_PASSWORD, key generate asks for the password twice on
// the terminal, without echoing it, and the key opens with it.
func TestKeyPasswordPrompt(t *testing.T) {
	e := newEnv(t)
	m := terminal(t, e.dir, "sh", "-c", e.eopack+" key generate --output-key-prefix typed; echo exit=$?; sleep 60")
	waitText(t, m, "Enter password for private key:")
	m.SendLine("typed-secret")
	waitText(t, m, "Enter password for private key again:")
	m.SendLine("typed-secret")
	screen := waitText(t, m, "exit=")
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
	m2 := terminal(t, e.dir, "sh", "-c", e.eopack+" key generate --output-key-prefix mismatch; echo exit=$?; sleep 60")
	waitText(t, m2, "Enter password for private key:")
	m2.SendLine("one")
	waitText(t, m2, "again:")
	m2.SendLine("two")
	screen = waitText(t, m2, "exit=")
	if !strings.Contains(screen, "Error: the passwords do not match") || !strings.Contains(screen, "exit=1") {
		t.Fatalf("mismatch:\n%s", screen)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "mismatch.key")); !os.IsNotExist(err) {
		t.Fatalf("mismatch.key written: %v", err)
	}
}
