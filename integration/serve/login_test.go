package serve

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/internal/testpeer"
)

// htpasswd -B protects push; oras login works; anonymous pull works unless --private.
func TestHtpasswdLoginWithOras(t *testing.T) {
	e := newEnv(t)
	oras := testpeer.Bin(t, "oras")
	hp := filepath.Join(t.TempDir(), "htpasswd")
	e.must(t, "htpasswd", "-B", "-b", "-c", hp, "eo", "s3cret")
	srv := testpeer.StartServe(t, "", "--htpasswd", hp)
	os.WriteFile(filepath.Join(e.dir, "band.tif"), []byte("band"), 0o644)
	ref := srv.Host() + "/eo/products:v1"

	if out, err := e.run("", oras, "push", "--plain-http", ref, "band.tif"); err == nil {
		t.Fatalf("anonymous push succeeded: %s", out)
	}
	if out, err := e.run("wrong\n", oras, "login", "--plain-http", "-u", "eo", "--password-stdin", srv.Host()); err == nil {
		t.Fatalf("login with a wrong password succeeded: %s", out)
	}
	out, err := e.run("s3cret\n", oras, "login", "--plain-http", "-u", "eo", "--password-stdin", srv.Host())
	if err != nil || !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("oras login: %v %s", err, out)
	}
	e.must(t, oras, "push", "--plain-http", ref, "band.tif")
	anon := newEnv(t)
	anon.must(t, oras, "pull", "--plain-http", ref, "-o", "out")
	testpeer.SameFile(t, filepath.Join(e.dir, "band.tif"), filepath.Join(anon.dir, "out/band.tif"))

	srv.Cmd.Process.Signal(syscall.SIGTERM) // one server per root
	srv.WaitExit(t)
	private := testpeer.StartServe(t, srv.Root, "--htpasswd", hp, "--private")
	if out, err := anon.run("", oras, "pull", "--plain-http", private.Host()+"/eo/products:v1", "-o", "out2"); err == nil {
		t.Fatalf("anonymous pull from --private succeeded: %s", out)
	}
	e.must(t, "sh", "-c", "echo s3cret | "+oras+" login --plain-http -u eo --password-stdin "+private.Host())
	e.must(t, oras, "pull", "--plain-http", private.Host()+"/eo/products:v1", "-o", "out3")
}

// SIGTERM lets a request in flight finish, then the server exits cleanly.
func TestGracefulShutdown(t *testing.T) {
	srv := testpeer.StartServe(t, "")
	e := newEnv(t)
	data := randomFile(t, e.dir, "big.bin", 32<<20)
	e.must(t, testpeer.Bin(t, "oras"), "push", "--plain-http", srv.Host()+"/eo/big:v1", "big.bin")
	res, err := http.Get("http://" + srv.Addr + "/v2/eo/big/blobs/" + digest.FromBytes(data).String())
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET blob: %v %v", res, err)
	}
	defer res.Body.Close()
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(res.Body, head); err != nil {
		t.Fatal(err)
	}
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond) // the server is shutting down while the body is unread
	rest, err := io.ReadAll(res.Body)
	if err != nil || !bytes.Equal(append(head, rest...), data) {
		t.Fatalf("body after SIGTERM: %d bytes, %v", len(head)+len(rest), err)
	}
	srv.WaitExit(t)
	if !strings.Contains(srv.Log.String(), "shutting down") {
		t.Fatalf("no shutdown in the log:\n%s", srv.Log)
	}
	if _, err := http.Get("http://" + srv.Addr + "/v2/"); err == nil {
		t.Fatal("server still answers after exit")
	}
}
