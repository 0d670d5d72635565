package progress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

// pane is a shell script on a 120×40 terminal (testpeer.Pane).
type pane struct {
	*testpeer.Pane
	t *testing.T
}

// startPane runs script with sh in dir on a new terminal. The pane stays open after the
// script ends (it sleeps), so its last screen can be read.
func startPane(t *testing.T, dir, script string) pane {
	t.Helper()
	return pane{testpeer.StartPane(t, dir, 120, 40, "sh", "-c", script+"\necho \"exit=$?\"\nsleep 3600"), t}
}

// exited waits for the script's end and returns the screen without the "exit=0" line; the
// script must have succeeded.
func (p pane) exited() string {
	p.t.Helper()
	s := p.WaitFor("the command's end", 3*time.Minute, func(s string) bool { return strings.Contains(s, "exit=") })
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
