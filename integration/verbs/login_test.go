package verbs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// loginRoundTrip checks eopack's login/logout against a registry that requires basic auth,
// and that eopack and the ORAS CLI use each other's stored credentials.
func loginRoundTrip(t *testing.T, host string) {
	eopack, oras := peers(t)
	e := newEnv(t)
	cfgFile := filepath.Join(e.dockerConfig, "config.json")
	repo := host + "/eo/products"
	e.write(t, "B04.tif", randomBytes(t, 10_000))

	e.fails(t, "", eopack, []string{"repo", "tags", repo}, "eopack login "+host)
	e.fails(t, "", eopack, []string{"blob", "push", repo, "B04.tif"}, "eopack login "+host)
	e.fails(t, "wrong\n", eopack, []string{"login", "-u", "alice", "--password-stdin", host}, "login failed: invalid username or password")
	if _, err := os.Stat(cfgFile); !os.IsNotExist(err) {
		t.Fatalf("a failed login wrote %s", cfgFile)
	}

	// eopack logs in (DOCKER_CONFIG); ORAS pushes with those credentials.
	if r := e.run("s3cret\n", eopack, "login", "-u", "alice", "--password-stdin", host); r.err != nil || r.stdout != "Login Succeeded\n" {
		t.Fatalf("eopack login: %v %q %q", r.err, r.stdout, r.stderr)
	}
	e.must(t, oras, "push", "--plain-http", repo+":v1", "B04.tif")
	want := e.must(t, oras, "resolve", "--plain-http", repo+":v1")
	if got := e.must(t, eopack, "resolve", repo+":v1"); got != want {
		t.Errorf("eopack resolve = %q, oras %q", got, want)
	}
	if out := e.must(t, eopack, "logout", host); out != "Removed login credentials for "+host+"\n" {
		t.Errorf("logout = %q", out)
	}
	e.fails(t, "", oras, []string{"resolve", "--plain-http", repo + ":v1"})
	e.fails(t, "", eopack, []string{"resolve", repo + ":v1"}, "eopack login "+host)

	// ORAS logs in; eopack uses its credentials; ORAS logs out; eopack is refused again.
	e.must(t, oras, "login", "--plain-http", "-u", "alice", "-p", "s3cret", host)
	if got := e.must(t, eopack, "repo", "tags", repo); got != "v1\n" {
		t.Errorf("eopack repo tags with oras's credentials = %q", got)
	}
	e.must(t, oras, "logout", host)
	e.fails(t, "", eopack, []string{"repo", "tags", repo}, "eopack login "+host)

	// --registry-config: a file of its own, read by ORAS.
	own := filepath.Join(t.TempDir(), "auth.json")
	if r := e.run("s3cret\n", eopack, "login", "-u", "alice", "--password-stdin", "--registry-config", own, host); r.err != nil {
		t.Fatalf("login --registry-config: %v %s", r.err, r.stderr)
	}
	if b, _ := os.ReadFile(own); !strings.Contains(string(b), host) {
		t.Errorf("--registry-config file = %s", b)
	}
	e.must(t, oras, "repo", "tags", "--plain-http", "--registry-config", own, repo)
	e.must(t, eopack, "tag", "--registry-config", own, repo+":v1", "v2")
	if got := e.must(t, eopack, "repo", "tags", "-u", "alice", "-p", "s3cret", repo); got != "v1\nv2\n" {
		t.Errorf("repo tags with -u/-p = %q", got)
	}
}

func TestLoginLogoutWithServe(t *testing.T) {
	srv := testpeer.StartServe(t, "", "--htpasswd", testpeer.WriteHtpasswd(t, "alice", "s3cret"), "--private")
	loginRoundTrip(t, srv.Host())
}

func TestLoginLogoutWithDistribution(t *testing.T) {
	loginRoundTrip(t, testpeer.StartDistributionWith(t, testpeer.DistributionOptions{Htpasswd: testpeer.WriteHtpasswd(t, "alice", "s3cret")}).Addr)
}

// credHelper is a Docker credential helper (the protocol of docker-credential-helpers) that
// keeps one credential in a file, so the test can see what was stored and erased.
const credHelper = `#!/bin/sh
store="$(dirname "$0")/stored.json"
case "$1" in
store) cat > "$store" ;;
get) read url; if [ -f "$store" ]; then cat "$store"; else echo "credentials not found in native keychain"; exit 1; fi ;;
erase) read url; rm -f "$store" ;;
list) echo '{}' ;;
*) exit 1 ;;
esac
`

// With "credsStore" in config.json, login stores through the helper, not in the file, and
// every verb (and ORAS) reads the credential back through it.
func TestLoginUsesCredentialHelper(t *testing.T) {
	eopack, oras := peers(t)
	srv := testpeer.StartServe(t, "", "--htpasswd", testpeer.WriteHtpasswd(t, "alice", "s3cret"), "--private")
	host := srv.Host()
	e := newEnv(t)
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-eotest"), []byte(credHelper), 0o755); err != nil {
		t.Fatal(err)
	}
	e.extraEnv = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	cfg := filepath.Join(e.dockerConfig, "config.json")
	os.WriteFile(cfg, []byte(`{"credsStore":"eotest"}`), 0o600)

	if r := e.run("s3cret\n", eopack, "login", "-u", "alice", "--password-stdin", host); r.err != nil || r.stdout != "Login Succeeded\n" {
		t.Fatalf("login: %v %q %q", r.err, r.stdout, r.stderr)
	}
	stored, _ := os.ReadFile(filepath.Join(bin, "stored.json"))
	if !strings.Contains(string(stored), `"Secret":"s3cret"`) || !strings.Contains(string(stored), host) {
		t.Errorf("the helper stored %s", stored)
	}
	if b, _ := os.ReadFile(cfg); strings.Contains(string(b), "auth") {
		t.Errorf("the secret went into config.json instead of the helper: %s", b)
	}
	e.write(t, "B04.tif", randomBytes(t, 1000))
	e.must(t, eopack, "blob", "push", host+"/eo/products", "B04.tif")
	e.must(t, oras, "repo", "ls", "--plain-http", host)
	if out := e.must(t, eopack, "logout", host); out != "Removed login credentials for "+host+"\n" {
		t.Errorf("logout = %q", out)
	}
	if _, err := os.Stat(filepath.Join(bin, "stored.json")); !os.IsNotExist(err) {
		t.Errorf("logout did not erase the helper's credential")
	}
	e.fails(t, "", eopack, []string{"repo", "ls", host}, "eopack login "+host)
}
