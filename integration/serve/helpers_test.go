// Package serve tests `eopack serve` with real peers: the ORAS CLI, crane, regctl and eopack's
// own client push to and pull from it; raw HTTP checks bad input; SIGKILL checks crash safety.
package serve

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

// env runs peers in a work folder with their own DOCKER_CONFIG and HOME (regctl's config).
type env struct {
	dir  string
	vars []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	home := t.TempDir()
	return &env{dir: t.TempDir(), vars: []string{"DOCKER_CONFIG=" + filepath.Join(home, "docker"), "HOME=" + home}}
}

// run runs bin with args (stdin optional) and returns combined output and error.
func (e *env) run(stdin, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), e.vars...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// must runs bin and fails the test on a non-zero exit.
func (e *env) must(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := e.run("", bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}

// randomFile writes n random bytes to dir/name and returns them.
func randomFile(t *testing.T, dir, name string, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	p := filepath.Join(dir, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// httpDo sends one request to the server and returns status, headers and body.
func httpDo(t *testing.T, s *testpeer.Server, method, path string, body io.Reader, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = "http://" + s.Addr + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// verifyBlobs re-hashes every blob file under root (pool and repositories) against its name
// and returns how many it checked.
func verifyBlobs(t *testing.T, root string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		alg := filepath.Base(filepath.Dir(path))
		if len(alg) == 2 { // blob store fan-out: <alg>/<2 hex>/<hex>
			alg = filepath.Base(filepath.Dir(filepath.Dir(path)))
		}
		if alg != "sha256" && alg != "sha512" {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		h := sha256.New()
		if alg == "sha512" {
			h = sha512.New()
		}
		io.Copy(h, f)
		if got := hex.EncodeToString(h.Sum(nil)); got != d.Name() {
			t.Errorf("%s holds content %s:%s", path, alg, got)
		}
		n++
		return nil
	})
	return n
}
