package trust

import (
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestCopyKeepsSignatures: cp -r carries eopack's and cosign's bundle referrers, and cosign's
// legacy ".sig" tag, from eopack serve to distribution (no referrers API: the "sha256-<hex>"
// index tag), on to an OCI layout and back to eopack serve, and they verify at every stop,
// with eopack and cosign.
func TestCopyKeepsSignatures(t *testing.T) {
	serveA := testpeer.StartServe(t, "").Host()
	dist := testpeer.StartDistribution(t).Host()
	serveC := testpeer.StartServe(t, "").Host()
	e := newEnv(t)
	c := e.cosign()
	e.key("eo")
	e.key("other")
	e.write("predicate.json", slsaPredicate)

	src := serveA + "/eo/ndvi:v1"
	e.product(serveA+"/eo/red:v1", "red")
	dg := e.product(src, "ndvi")
	e.eo("sign", "--key", "eo.key", src)
	e.eo("attest", "--key", "eo.key", "--derived-from", serveA+"/eo/red:v1", "--processor", "ndvi", src)
	e.must(c.bin, c.signArgs("attest", "eo.key", serveA+"/eo/ndvi@"+dg, "--type", "slsaprovenance1", "--predicate", "predicate.json")...)
	e.must(c.bin, c.legacyArgs("sign", "eo.key", serveA+"/eo/ndvi@"+dg)...)

	check := func(where string, args ...string) {
		t.Helper()
		out := e.eo(append([]string{"verify", "--key", "eo.pub", "--type", "slsaprovenance1"}, args...)...)
		if n := lines(out, "VERIFIED sigstore-bundle"); n != 3 {
			t.Fatalf("%s: %d verified signatures, want 3:\n%s", where, n, out)
		}
		if lines(out, "VERIFIED cosign-signature") != 1 || lines(out, "FAILED") != 0 {
			t.Fatalf("%s:\n%s", where, out)
		}
	}
	check("source", src)

	atDist := dist + "/eo/ndvi:v1"
	e.eo("cp", "-r", src, atDist)
	check("distribution", atDist)
	if tags := e.eo("repo", "tags", dist+"/eo/ndvi"); !strings.Contains(tags, "sha256-"+strings.TrimPrefix(dg, "sha256:")) {
		t.Fatalf("no referrers tag on distribution:\n%s", tags)
	}
	e.must(c.bin, c.verifyArgs("verify", "eo.pub", dist+"/eo/ndvi@"+dg)...)
	e.must(c.bin, c.verifyArgs("verify-attestation", "eo.pub", dist+"/eo/ndvi@"+dg, "--type", "slsaprovenance1")...)
	e.fails(e.eopack, []string{"verify", "--key", "other.pub", atDist}, "verification failed")

	e.eo("cp", "-r", atDist, "--to-oci-layout", "backup:v1")
	check("layout", "--oci-layout", "backup:v1")

	atC := serveC + "/eo/ndvi:v1"
	e.eo("cp", "-r", "--from-oci-layout", "backup:v1", atC)
	check("second serve", atC)
	e.must(c.bin, c.verifyArgs("verify", "eo.pub", serveC+"/eo/ndvi@"+dg)...)

	// cp --verify checks the source before copying.
	e.eo("cp", "-r", "--verify", "--key", "eo.pub", atC, dist+"/eo/ndvi-verified:v1")
	check("verified copy", dist+"/eo/ndvi-verified:v1")
	e.fails(e.eopack, []string{"cp", "--verify", "--key", "other.pub", atC, dist + "/eo/refused:v1"}, "nothing written")
	if r := e.run(e.eopack, "resolve", dist+"/eo/refused:v1"); r.err == nil {
		t.Fatal("a refused copy was written")
	}
}

// TestLineage: eopack lineage follows --derived-from attestations across repositories and
// registries, prints text, json and dot, follows only verified attestations with --key, and
// refuses a cycle.
func TestLineage(t *testing.T) {
	hosts := registries(t)
	a, b := hosts["serve"], hosts["distribution"]
	e := newEnv(t)
	e.key("eo")
	e.key("other")
	l1 := e.product(b+"/eo/l1c:T32", "l1c")
	e.product(a+"/eo/red:T32", "red")
	e.product(a+"/eo/nir:T32", "nir")
	ndvi := e.product(a+"/eo/ndvi:T32", "ndvi")
	e.write("params.json", `{"formula":"(B08-B04)/(B08+B04)"}`)
	e.eo("attest", "--key", "eo.key", "--derived-from", b+"/eo/l1c:T32", "--processor", "sen2cor", "--processor-version", "2.11", a+"/eo/red:T32")
	e.eo("attest", "--key", "eo.key", "--derived-from", b+"/eo/l1c:T32", "--processor", "sen2cor", "--processor-version", "2.11", a+"/eo/nir:T32")
	e.eo("attest", "--key", "eo.key", "--derived-from", a+"/eo/red:T32", "--derived-from", a+"/eo/nir:T32",
		"--processor", "ndvi", "--processor-version", "1.2.0", "--parameters", "params.json", a+"/eo/ndvi:T32")

	out := e.eo("lineage", "--key", "eo.pub", a+"/eo/ndvi:T32")
	want := []string{
		a + "/eo/ndvi@" + ndvi + " (ndvi 1.2.0)",
		"├── " + a + "/eo/red@",
		"│   └── " + b + "/eo/l1c@" + l1,
		"└── " + a + "/eo/nir@",
		"    └── " + b + "/eo/l1c@" + l1,
	}
	got := strings.Split(strings.TrimSpace(out), "\n")
	if len(got) != len(want) {
		t.Fatalf("lineage:\n%s", out)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Fatalf("line %d: %q, want prefix %q\n%s", i, got[i], want[i], out)
		}
	}
	if js := e.eo("lineage", "--format", "json", a+"/eo/ndvi:T32"); !strings.Contains(js, `"name": "sen2cor"`) || strings.Count(js, `"digest": "`+l1+`"`) != 2 {
		t.Fatalf("json:\n%s", js)
	}
	if dot := e.eo("lineage", "--format", "dot", a+"/eo/ndvi:T32"); !strings.HasPrefix(dot, "digraph lineage {") || strings.Count(dot, " -> ") != 4 {
		t.Fatalf("dot:\n%s", dot)
	}
	// With another key nothing verifies: only the product itself.
	if out := e.eo("lineage", "--key", "other.pub", a+"/eo/ndvi:T32"); strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("followed unverified attestations:\n%s", out)
	}
	// l1c derived from ndvi closes a cycle.
	e.eo("attest", "--key", "eo.key", "--derived-from", a+"/eo/ndvi:T32", "--processor", "loop", b+"/eo/l1c:T32")
	e.fails(e.eopack, []string{"lineage", a + "/eo/ndvi:T32"}, "lineage cycle")
	// Under a policy that trusts eo.pub on the first registry only, the attestation on the
	// second (which closes the cycle) is not followed.
	e.write("policy.json", `{"policies":[{"scope":"`+a+`/*","keys":["eo.pub"]}]}`)
	out = e.eo("lineage", "--policy", "policy.json", a+"/eo/ndvi:T32")
	if got := strings.Split(strings.TrimSpace(out), "\n"); len(got) != 5 || !strings.Contains(got[2], b+"/eo/l1c@"+l1) {
		t.Fatalf("lineage --policy:\n%s", out)
	}
}
