package serve

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestEmptiedRepositoryLeavesCatalog deletes everything in a repository with the ORAS CLI
// (manifest, then its blobs): eopack serve drops the repository and its plain parent folder,
// keeps the sibling, and a later push recreates it.
func TestEmptiedRepositoryLeavesCatalog(t *testing.T) {
	srv := testpeer.StartServe(t, "")
	oras := testpeer.Bin(t, "oras")
	e := newEnv(t)
	randomFile(t, e.dir, "band.tif", 64<<10)
	push := func(repo string) {
		e.must(t, oras, "push", "--plain-http", srv.Host()+"/"+repo+":v1",
			"--artifact-type", "application/vnd.my-earth-observation-product.v1", "band.tif:image/tiff")
	}
	repoLs := func() string {
		return strings.TrimSpace(e.must(t, oras, "repo", "ls", "--plain-http", srv.Host()))
	}
	push("eo/products")
	push("eo/tmp/scratch")
	ref := srv.Host() + "/eo/tmp/scratch"

	var m ocispec.Manifest
	if err := json.Unmarshal([]byte(e.must(t, oras, "manifest", "fetch", "--plain-http", ref+":v1")), &m); err != nil {
		t.Fatal(err)
	}
	e.must(t, oras, "manifest", "delete", "--force", "--plain-http", ref+":v1")
	if got := repoLs(); got != "eo/products\neo/tmp/scratch" {
		t.Fatalf("oras repo ls with blobs left: %q", got)
	}
	for _, d := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		e.must(t, oras, "blob", "delete", "--force", "--plain-http", ref+"@"+d.Digest.String())
	}
	if got := repoLs(); got != "eo/products" {
		t.Fatalf("oras repo ls after deleting everything: %q, want eo/products", got)
	}
	if out, err := e.run("", oras, "repo", "tags", "--plain-http", ref); err == nil || !strings.Contains(out, "name unknown") {
		t.Fatalf("oras repo tags on the dropped repository: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(srv.Root, "eo", "tmp")); !os.IsNotExist(err) {
		t.Fatalf("ROOT/eo/tmp still there: %v", err)
	}

	push("eo/tmp/scratch")
	if got := repoLs(); got != "eo/products\neo/tmp/scratch" {
		t.Fatalf("oras repo ls after pushing again: %q", got)
	}
	e.must(t, oras, "pull", "--plain-http", ref+":v1", "--output", "again")
	testpeer.SameFile(t, filepath.Join(e.dir, "band.tif"), filepath.Join(e.dir, "again", "band.tif"))
}
