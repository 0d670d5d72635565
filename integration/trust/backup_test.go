package trust

import (
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestBackupRestoreKeepsSignatures: a signed and attested product goes through backup and
// restore both ways with the pinned ORAS CLI (eopack backup → oras restore, oras backup →
// eopack restore), as a folder and as a tar archive, onto the distribution registry (no
// referrers API); its digest is unchanged and its signature and attestation verify after,
// with eopack and with cosign.
func TestBackupRestoreKeepsSignatures(t *testing.T) {
	serve := testpeer.StartServe(t, "").Host()
	dist := testpeer.StartDistribution(t).Host()
	oras := testpeer.Bin(t, "oras")
	e := newEnv(t)
	c := e.cosign()
	e.key("eo")
	e.write("predicate.json", slsaPredicate)

	src := serve + "/eo/ndvi:v1"
	dg := e.product(src, "ndvi")
	e.eo("sign", "--key", "eo.key", src)
	e.eo("attest", "--key", "eo.key", "--predicate", "predicate.json", "--type", "slsaprovenance1", src)

	for i, step := range []struct{ backup, restore, out string }{
		{e.eopack, oras, "eopack.tar"},
		{e.eopack, oras, "eopack-dir"},
		{oras, e.eopack, "oras.tar"},
		{oras, e.eopack, "oras-dir"},
	} {
		e.must(step.backup, "backup", "--plain-http", "--include-referrers", "--output", step.out, src)
		repo := dist + "/eo/restored" + string(rune('a'+i))
		e.must(step.restore, "restore", "--plain-http", "--input", step.out, repo)
		if got := strings.TrimSpace(e.eo("resolve", repo+":v1")); got != dg {
			t.Fatalf("%s: restored digest %s, want %s", step.out, got, dg)
		}
		out := e.eo("verify", "--key", "eo.pub", "--type", "slsaprovenance1", repo+":v1")
		if lines(out, "VERIFIED") != 2 || lines(out, "FAILED") != 0 {
			t.Fatalf("%s: after restore:\n%s", step.out, out)
		}
		e.must(c.bin, c.verifyArgs("verify", "eo.pub", repo+"@"+dg)...)
		e.must(c.bin, c.verifyArgs("verify-attestation", "eo.pub", repo+"@"+dg, "--type", "slsaprovenance1")...)
	}
}
