// Package trust tests eopack's sign, attest, verify and lineage against the real cosign
// (built by scripts/install-peers.sh) and against notation-go, on `eopack serve` and the
// pinned CNCF distribution registry (which has no referrers API: the tag schema is used).
package trust

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

// password of every key the tests make.
const password = "eo-test-password"

type env struct {
	t      *testing.T
	dir    string
	eopack string
	docker string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return &env{t: t, dir: t.TempDir(), eopack: testpeer.Eopack(t), docker: t.TempDir()}
}

type result struct {
	stdout, stderr string
	err            error
}

// run runs bin in the env's folder with COSIGN_PASSWORD set; it never fails the test.
func (e *env) run(bin string, args ...string) result {
	return e.runEnv([]string{"COSIGN_PASSWORD=" + password}, bin, args...)
}

// runEnv runs bin with extra environment variables (a name given as "NAME" alone is removed).
func (e *env) runEnv(vars []string, bin string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := testpeer.Command(ctx, e.dir, e.docker, bin, args...)
	for _, v := range vars {
		if !strings.Contains(v, "=") {
			cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, v+"=") })
			continue
		}
		cmd.Env = append(cmd.Env, v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return result{out.String(), errOut.String(), err}
}

func (e *env) must(bin string, args ...string) string {
	e.t.Helper()
	r := e.run(bin, args...)
	if r.err != nil {
		e.t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", filepath.Base(bin), strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails expects bin to fail with an error mentioning each of msgs; eopack's is one line.
func (e *env) fails(bin string, args []string, msgs ...string) result {
	e.t.Helper()
	r := e.run(bin, args...)
	if r.err == nil {
		e.t.Fatalf("%s %s succeeded, want failure\nstdout: %s", filepath.Base(bin), strings.Join(args, " "), r.stdout)
	}
	if filepath.Base(bin) == "eopack" && (strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "Error: ")) {
		e.t.Errorf("%s %s: want one error line, got %q", filepath.Base(bin), strings.Join(args, " "), r.stderr)
	}
	for _, m := range msgs {
		if !strings.Contains(r.stderr+r.stdout, m) {
			e.t.Errorf("%s %s: output %q does not mention %q", filepath.Base(bin), strings.Join(args, " "), r.stderr+r.stdout, m)
		}
	}
	return r
}

func (e *env) eo(args ...string) string {
	e.t.Helper()
	return e.must(e.eopack, args...)
}

// write writes a file under the env's folder and returns its name.
func (e *env) write(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return name
}

// product pushes a small two-file product to ref and returns its digest.
func (e *env) product(ref, seed string) string {
	e.t.Helper()
	a := e.write(seed+"/B04.tif", "red band of "+seed+strings.Repeat("r", 3000))
	b := e.write(seed+"/B08.tif", "nir band of "+seed+strings.Repeat("n", 3000))
	e.eo("push", ref, a, b)
	return strings.TrimSpace(e.eo("resolve", ref))
}

// key makes an eopack key pair NAME.key / NAME.pub in the env's folder.
func (e *env) key(name string) {
	e.t.Helper()
	e.eo("key", "generate", "--output-key-prefix", name)
}

// cosign is the real cosign with the offline configuration files it needs.
type cosign struct {
	bin, signingConfig, trustedRoot string
}

func (e *env) cosign() *cosign {
	e.t.Helper()
	c := &cosign{bin: testpeer.WaitBin(e.t, "cosign"), signingConfig: "cosign-signing-config.json", trustedRoot: "cosign-trusted-root.json"}
	if _, err := os.Stat(filepath.Join(e.dir, c.signingConfig)); err != nil {
		e.must(c.bin, "signing-config", "create", "--out", c.signingConfig)
		e.must(c.bin, "trusted-root", "create", "--out", c.trustedRoot)
	}
	return c
}

// verifyArgs are `cosign verify`'s offline flags.
func (c *cosign) verifyArgs(verb, key, ref string, extra ...string) []string {
	args := []string{verb, "--key", key, "--insecure-ignore-tlog", "--trusted-root", c.trustedRoot}
	args = append(args, extra...)
	return append(args, ref)
}

// signArgs are `cosign sign`'s / `cosign attest`'s offline flags for the bundle format.
func (c *cosign) signArgs(verb, key, ref string, extra ...string) []string {
	args := []string{verb, "--key", key, "--signing-config", c.signingConfig, "--trusted-root", c.trustedRoot, "-y"}
	args = append(args, extra...)
	return append(args, ref)
}

// legacyArgs sign the pre-bundle way: "sha256-<hex>.sig" / ".att" tags, no transparency log.
func (c *cosign) legacyArgs(verb, key, ref string, extra ...string) []string {
	args := []string{verb, "--key", key, "--new-bundle-format=false", "--tlog-upload=false", "--use-signing-config=false", "-y"}
	args = append(args, extra...)
	return append(args, ref)
}

// registries are the two registries every interop test runs on.
func registries(t *testing.T) map[string]string {
	return map[string]string{
		"serve":        testpeer.StartServe(t, "").Host(),
		"distribution": testpeer.StartDistribution(t).Host(),
	}
}

// lines counts output lines starting with prefix.
func lines(out, prefix string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}
