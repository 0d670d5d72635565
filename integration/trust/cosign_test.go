package trust

import (
	"strings"
	"testing"
)

// slsaPredicate is a minimal SLSA provenance v1 predicate for cosign attest.
const slsaPredicate = `{"buildDefinition":{"buildType":"https://example.com/eo/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}`

// TestCosignVerifiesEopack: what eopack signs and attests, cosign verifies with the public key
// (and refuses with another key), on both registries.
func TestCosignVerifiesEopack(t *testing.T) {
	for name, host := range registries(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			c := e.cosign()
			e.key("eo")
			e.key("other")
			ref := host + "/eo/ndvi:v1"
			e.product(host+"/eo/red:v1", "red")
			dg := e.product(ref, "ndvi")
			byDigest := host + "/eo/ndvi@" + dg

			out := e.eo("sign", "--key", "eo.key", ref)
			if !strings.Contains(out, "Signed "+byDigest) {
				t.Fatalf("sign output:\n%s", out)
			}
			e.must(c.bin, c.verifyArgs("verify", "eo.pub", byDigest)...)
			e.fails(c.bin, c.verifyArgs("verify", "other.pub", byDigest), "signature")

			e.eo("attest", "--key", "eo.key", "--derived-from", host+"/eo/red:v1", "--processor", "ndvi", "--processor-version", "1.2.0", ref)
			att := e.must(c.bin, c.verifyArgs("verify-attestation", "eo.pub", byDigest, "--type", "slsaprovenance1")...)
			if !strings.Contains(att, `"payloadType":"application/vnd.in-toto+json"`) {
				t.Fatalf("cosign verify-attestation printed:\n%s", att)
			}
			e.fails(c.bin, c.verifyArgs("verify-attestation", "other.pub", byDigest, "--type", "slsaprovenance1"))

			// eopack verifies its own, with the right key only.
			out = e.eo("verify", "--key", "eo.pub", "--type", "slsaprovenance1", ref)
			if lines(out, "VERIFIED sigstore-bundle") != 2 {
				t.Fatalf("verify:\n%s", out)
			}
			r := e.fails(e.eopack, []string{"verify", "--key", "other.pub", ref}, "none of the 2 signature(s) found verifies")
			if lines(r.stdout, "FAILED") != 2 {
				t.Fatalf("verify with the wrong key:\n%s", r.stdout)
			}
		})
	}
}

// TestEopackVerifiesCosign: what cosign signs and attests, in the bundle format and in the
// legacy tag format, eopack verifies with cosign's public key (and refuses with another).
func TestEopackVerifiesCosign(t *testing.T) {
	for name, host := range registries(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			c := e.cosign()
			e.must(c.bin, "generate-key-pair", "--output-key-prefix", "ck")
			e.key("other")
			e.write("predicate.json", slsaPredicate)

			bundleDg := e.product(host+"/eo/bundle:v1", "bundle")
			bundleRef := host + "/eo/bundle@" + bundleDg
			e.must(c.bin, c.signArgs("sign", "ck.key", bundleRef)...)
			e.must(c.bin, c.signArgs("attest", "ck.key", bundleRef, "--type", "slsaprovenance1", "--predicate", "predicate.json")...)
			out := e.eo("verify", "--key", "ck.pub", "--type", "slsaprovenance1", bundleRef)
			if lines(out, "VERIFIED sigstore-bundle") != 2 || !strings.Contains(out, "https://sigstore.dev/cosign/sign/v1") || !strings.Contains(out, "https://slsa.dev/provenance/v1") {
				t.Fatalf("verify of cosign's bundles:\n%s", out)
			}
			e.fails(e.eopack, []string{"verify", "--key", "other.pub", bundleRef}, "verification failed")

			legacyDg := e.product(host+"/eo/legacy:v1", "legacy")
			legacyRef := host + "/eo/legacy@" + legacyDg
			e.must(c.bin, c.legacyArgs("sign", "ck.key", legacyRef)...)
			e.must(c.bin, c.legacyArgs("attest", "ck.key", legacyRef, "--type", "slsaprovenance1", "--predicate", "predicate.json")...)
			out = e.eo("verify", "--key", "ck.pub", "--type", "slsaprovenance1", legacyRef)
			if lines(out, "VERIFIED cosign-signature") != 1 || lines(out, "VERIFIED cosign-attestation") != 1 {
				t.Fatalf("verify of cosign's legacy tags:\n%s", out)
			}
			e.fails(e.eopack, []string{"verify", "--key", "other.pub", legacyRef}, "verification failed")

			// An eopack key is a cosign key: cosign signs with it, eopack verifies.
			e.key("eo")
			e.must(c.bin, c.signArgs("sign", "eo.key", legacyRef)...)
			out = e.eo("verify", "--key", "eo.pub", legacyRef)
			if lines(out, "VERIFIED sigstore-bundle") != 1 {
				t.Fatalf("cosign signing with an eopack key:\n%s", out)
			}
		})
	}
}
