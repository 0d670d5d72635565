package cli

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/registry"
	"golang.org/x/crypto/bcrypt"
)

// openStorage opens a registry storage in a temporary folder, closed when the test ends.
func openStorage(t *testing.T) *registry.Storage {
	t.Helper()
	fs, err := registry.Open(t.Context(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

// verbsRegistry serves the project's registry handler on 127.0.0.1 (plain HTTP is
// automatic for loopback). With users, push/pull need basic auth (Private).
func verbsRegistry(t *testing.T, users map[string]string) string {
	t.Helper()
	fs := openStorage(t)
	var opt registry.Options
	if len(users) > 0 {
		path := filepath.Join(t.TempDir(), "htpasswd")
		var lines []string
		for u, p := range users {
			h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, u+":"+string(h))
		}
		os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
		var err error
		if opt.Auth, err = registry.LoadHtpasswd(path); err != nil {
			t.Fatal(err)
		}
		opt.Private = true
	}
	srv := httptest.NewServer(registry.New(fs, opt))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestLoginVerifiesThenStores(t *testing.T) {
	host := verbsRegistry(t, map[string]string{"alice": "s3cret"})
	cfg := filepath.Join(t.TempDir(), "config.json")

	verbsFail(t, 1, "wrong\n", []string{"login", "-u", "alice", "--password-stdin", "--registry-config", cfg, host}, "login failed: invalid username or password")
	if _, err := os.Stat(cfg); !os.IsNotExist(err) {
		t.Fatalf("a failed login wrote %s", cfg)
	}
	verbsFail(t, 1, "", []string{"repo", "tags", "--registry-config", cfg, host + "/eo/products"}, "eopack login "+host)

	out, errOut, code := verbsRun(t, "s3cret\n", "login", "-u", "alice", "--password-stdin", "--registry-config", cfg, host)
	if code != 0 || out != "Login Succeeded\n" || errOut != "" {
		t.Fatalf("login: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	var conf struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	b, _ := os.ReadFile(cfg)
	if err := json.Unmarshal(b, &conf); err != nil || conf.Auths[host].Auth != "YWxpY2U6czNjcmV0" { // base64("alice:s3cret")
		t.Fatalf("stored config %s (err %v)", b, err)
	}
	// The stored credentials are used by the other verbs.
	dir := t.TempDir()
	f := filepath.Join(dir, "blob")
	os.WriteFile(f, []byte("data"), 0o644)
	verbsMust(t, "", "blob", "push", "--registry-config", cfg, host+"/eo/products", f)

	// -p warns on stderr; prompts read username and password from stdin.
	_, errOut, code = verbsRun(t, "", "login", "-u", "alice", "-p", "s3cret", "--registry-config", cfg, host)
	if code != 0 || !strings.Contains(errOut, "--password-stdin") {
		t.Errorf("login -p: exit %d, stderr %q", code, errOut)
	}
	out, _, code = verbsRun(t, "alice\ns3cret\n", "login", "--registry-config", cfg, host)
	if code != 0 || out != "Login Succeeded\n" {
		t.Errorf("prompted login: exit %d, %q", code, out)
	}

	if out := verbsMust(t, "", "logout", "--registry-config", cfg, host); out != "Removed login credentials for "+host+"\n" {
		t.Errorf("logout = %q", out)
	}
	b, _ = os.ReadFile(cfg)
	if strings.Contains(string(b), host) {
		t.Errorf("logout left the credentials: %s", b)
	}
	if out := verbsMust(t, "", "logout", "--registry-config", cfg, host); out != "Not logged in to "+host+"\n" {
		t.Errorf("second logout = %q", out)
	}
	verbsFail(t, 1, "", []string{"blob", "push", "--registry-config", cfg, host + "/eo/products", f}, "eopack login")
}

func TestLoginBadInput(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.json")
	verbsFail(t, 2, "", []string{"login", "-u", "a", "-p", "b", "--registry-config", cfg, "localhost:5000/eo/products"}, "not a registry")
	if _, errOut, code := verbsRun(t, "", "login", "-u", "a", "--registry-config", cfg, "localhost:5000"); code != 1 || errOut != "Password: Error: password required\n" {
		t.Errorf("login with an empty prompted password: exit %d, stderr %q", code, errOut)
	}
	verbsFail(t, 2, "", []string{"login", "-u", "a", "-p", "b", "--password-stdin", "--registry-config", cfg, "localhost:5000"}, "--password, --password-stdin cannot be used at the same time")
	verbsFail(t, 2, "", []string{"logout", "--registry-config", cfg, "localhost:5000/x"}, "not a registry")
}
