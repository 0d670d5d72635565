package trust

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestKeysAndErrors: key files are cosign's (either tool signs with the other's key), the
// private key is 0600, and a wrong password, a missing password or a tampered signature each
// give one clear line, with no key material in any output, even with --debug.
func TestKeysAndErrors(t *testing.T) {
	host := testpeer.StartServe(t, "").Host()
	e := newEnv(t)
	c := e.cosign()
	e.key("eo")
	st, err := os.Stat(filepath.Join(e.dir, "eo.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("eo.key mode %v, %v", st.Mode(), err)
	}
	e.fails(e.eopack, []string{"key", "generate", "--output-key-prefix", "eo"}, "already exists")
	keyPEM, _ := os.ReadFile(filepath.Join(e.dir, "eo.key"))
	secret := strings.Split(string(keyPEM), "\n")[1] // a line of the encrypted key

	ref := host + "/eo/keys:v1"
	dg := e.product(ref, "keys")
	byDigest := host + "/eo/keys@" + dg

	// cosign's key file signs with eopack, and cosign verifies.
	e.must(c.bin, "generate-key-pair", "--output-key-prefix", "ck")
	e.eo("sign", "--key", "ck.key", ref)
	e.must(c.bin, c.verifyArgs("verify", "ck.pub", byDigest)...)

	r := e.runEnv([]string{"COSIGN_PASSWORD=not-the-password"}, e.eopack, "sign", "--debug", "--key", "eo.key", ref)
	if r.err == nil || !strings.Contains(r.stderr, "Error: eo.key: wrong password for the private key") {
		t.Fatalf("wrong password: %v\n%s", r.err, r.stderr)
	}
	r = e.runEnv([]string{"COSIGN_PASSWORD"}, e.eopack, "sign", "--key", "eo.key", ref)
	if r.err == nil || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "set COSIGN_PASSWORD") {
		t.Fatalf("no password: %v\n%s", r.err, r.stderr)
	}
	r = e.run(e.eopack, "sign", "--debug", "--key", "eo.key", ref)
	if r.err != nil {
		t.Fatal(r.stderr)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, secret) || strings.Contains(out, password) || strings.Contains(out, "PRIVATE KEY") {
			t.Fatalf("key material in the output:\n%s", out)
		}
	}

	out := e.eo("verify", "--key", "eo.pub", "--key", "ck.pub", "--format", "json", ref)
	var m struct {
		Reference  string
		Verified   bool
		Signatures []struct {
			Kind, Digest, PredicateType, Signer string
			Verified                            bool
		}
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !m.Verified || m.Reference != byDigest || len(m.Signatures) != 2 {
		t.Fatalf("%+v", m)
	}
	signers := m.Signatures[0].Signer + " " + m.Signatures[1].Signer
	if !strings.Contains(signers, "eo.pub") || !strings.Contains(signers, "ck.pub") {
		t.Fatalf("signers %q", signers)
	}

	// A signed payload changed and pushed again as a bundle referrer: it no longer verifies
	// (one line per signature, one error line).
	other := host + "/eo/other:v1"
	e.product(other, "other")
	signed := e.eo("sign", "--key", "eo.key", other)
	sigDigest := strings.TrimSpace(signed[strings.Index(signed, "Signature: ")+len("Signature: "):])
	var sm struct{ Layers []struct{ Digest string } }
	json.Unmarshal([]byte(e.eo("manifest", "fetch", host+"/eo/other@"+sigDigest)), &sm)
	e.eo("blob", "fetch", "--output", "bundle.json", host+"/eo/other@"+sm.Layers[0].Digest)
	var bundle map[string]any
	b, _ := os.ReadFile(filepath.Join(e.dir, "bundle.json"))
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	env := bundle["dsseEnvelope"].(map[string]any)
	payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"predicate":{}`, `"predicate":{"tampered":true}`, 1)))
	b, _ = json.Marshal(bundle)
	e.write("tampered.json", string(b))
	e.eo("attach", "--artifact-type", "application/vnd.dev.sigstore.bundle.v0.3+json", other, "tampered.json:application/vnd.dev.sigstore.bundle.v0.3+json")
	out = e.eo("verify", "--key", "eo.pub", other)
	if lines(out, "VERIFIED") != 1 || lines(out, "FAILED   sigstore-bundle") != 1 || !strings.Contains(out, "signature does not verify with the trusted key(s)") {
		t.Fatalf("verify with a tampered bundle:\n%s", out)
	}
	r = e.fails(e.eopack, []string{"verify", "--key", "ck.pub", other}, "none of the 2 signature(s) found verifies")
	if lines(r.stdout, "FAILED") != 2 {
		t.Fatalf("verify output:\n%s", r.stdout)
	}
}
