package testpeer

import (
	"os"
	"path/filepath"
	"testing"
)

// The binary is built into a folder of the repository's, through a temporary folder that is
// removed: nothing is left behind but the binary.
func TestBuildEopackLeavesOnlyTheBinary(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "test")
	bin, err := buildEopack(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 || filepath.Dir(bin) != dir {
		t.Fatalf("built %s: %v %v", bin, fi, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "eopack" {
		t.Fatalf("%s holds %v, want the binary alone", dir, ents)
	}
	if got, want := filepath.Dir(Eopack(t)), filepath.Join(RepoRoot(), "bin", "test"); got != want {
		t.Fatalf("Eopack builds into %s, want %s", got, want)
	}
}
