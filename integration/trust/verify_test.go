package trust

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// tamper changes one byte of the blob with digest dg (sha256:hex) in a registry's storage
// folder: eopack serve keeps it at .../sha256/xx/<hex>, distribution at .../<hex>/data.
func tamper(t *testing.T, root, dg string) {
	t.Helper()
	hex := strings.TrimPrefix(dg, "sha256:")
	var found string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && (d.Name() == hex || filepath.Base(filepath.Dir(p)) == hex) {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatalf("blob %s not found under %s", dg, root)
	}
	b, err := os.ReadFile(found)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(found, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// layerDigest is the digest of the layer titled title in the manifest at ref.
func (e *env) layerDigest(ref, title string) string {
	e.t.Helper()
	m := e.eo("manifest", "fetch", ref)
	i := strings.Index(m, `"org.opencontainers.image.title":"`+title+`"`)
	if i < 0 {
		e.t.Fatalf("no layer %s in %s", title, m)
	}
	j := strings.LastIndex(m[:i], `"digest":"`)
	return m[j+len(`"digest":"`) : j+len(`"digest":"`)+71]
}

func (e *env) absent(name string) {
	e.t.Helper()
	if _, err := os.Stat(filepath.Join(e.dir, name)); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(filepath.Join(e.dir, name))
		e.t.Fatalf("%s was written (%v, %d entries)", name, err, len(entries))
	}
}

// TestPullVerify: pull --verify and cp --verify write nothing unless the signature verifies
// and every blob matches its digest; a byte changed in a blob on the registry's disk fails
// them with nothing written.
func TestPullVerify(t *testing.T) {
	for name, srv := range map[string]func(t *testing.T) (host, root string){
		"serve": func(t *testing.T) (string, string) {
			s := testpeer.StartServe(t, "")
			return s.Host(), s.Root
		},
		"distribution": func(t *testing.T) (string, string) {
			s := testpeer.StartDistribution(t)
			return s.Host(), s.Root
		},
	} {
		t.Run(name, func(t *testing.T) {
			host, root := srv(t)
			e := newEnv(t)
			e.key("eo")
			e.key("other")
			ref := host + "/eo/s2:v1"
			e.product(ref, "s2")
			e.eo("sign", "--key", "eo.key", ref)

			e.fails(e.eopack, []string{"pull", "--key", "eo.pub", "-o", "nokey", ref}, "--verify")
			e.fails(e.eopack, []string{"pull", "--verify", "-o", "nokey", ref}, "--key")
			e.absent("nokey")

			out := e.eo("pull", "--verify", "--key", "eo.pub", "-o", "ok", ref)
			if !strings.Contains(out, "Pulled") {
				t.Fatalf("pull --verify:\n%s", out)
			}
			for _, f := range []string{"B04.tif", "B08.tif"} {
				if _, err := os.Stat(filepath.Join(e.dir, "ok", "s2", f)); err != nil {
					t.Fatal(err)
				}
			}
			e.fails(e.eopack, []string{"pull", "--verify", "--key", "other.pub", "-o", "wrongkey", ref}, "verification failed", "nothing written")
			e.absent("wrongkey")

			unsigned := host + "/eo/unsigned:v1"
			e.product(unsigned, "unsigned")
			e.fails(e.eopack, []string{"pull", "--verify", "--key", "eo.pub", "-o", "out-unsigned", unsigned}, "no signature found")
			e.absent("out-unsigned")

			// A trust policy that requires provenance: refused until the product is attested.
			e.write("policy.json", `{"policies":[{"scope":"`+host+`/eo/*","keys":["eo.pub"],"requiredPredicateTypes":["slsaprovenance1"]}]}`)
			e.fails(e.eopack, []string{"pull", "--verify", "--policy", "policy.json", "-o", "policy", ref}, "no verified attestation of type https://slsa.dev/provenance/v1")
			e.absent("policy")
			e.eo("attest", "--key", "eo.key", "--derived-from", unsigned, "--processor", "l2a", ref)
			e.eo("pull", "--verify", "--policy", "policy.json", "-o", "policy", ref)
			e.write("other-policy.json", `{"policies":[{"scope":"`+host+`/eo/*","keys":["other.pub"]}]}`)
			e.fails(e.eopack, []string{"verify", "--policy", "other-policy.json", ref}, "verification failed")

			tamper(t, root, e.layerDigest(ref, "s2/B08.tif"))
			e.fails(e.eopack, []string{"pull", "--verify", "--key", "eo.pub", "-o", "tampered", ref}, "nothing written")
			e.absent("tampered")
			e.fails(e.eopack, []string{"cp", "--verify", "--key", "eo.pub", ref, "--to-oci-layout", "tampered-layout:v1"}, "nothing written")
			e.absent("tampered-layout")
			// The signature itself still verifies: it covers the manifest, the blob check caught the change.
			e.eo("verify", "--key", "eo.pub", ref)
		})
	}
}
