package scaleout

import (
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/internal/testpeer"
)

// `eopack serve gc --db … --blobs …` collects shared storage while a replica serves from it:
// the dry run reports exactly what the real run then removes, and what is still tagged
// keeps pulling.
func TestGCCommandOnSharedStorage(t *testing.T) {
	c := newCluster(t, 1)
	host := c.replicas[0].Addr
	pick := func() string { return host }
	kept, gone := newArtifact(1), newArtifact(2)
	if err := kept.push(pick, "eo/gccmd", "kept"); err != nil {
		t.Fatal(err)
	}
	if err := gone.push(pick, "eo/gccmd", "gone"); err != nil {
		t.Fatal(err)
	}
	expect(t, http.StatusAccepted, host, "DELETE", "/v2/eo/gccmd/manifests/"+gone.digest.String(), nil)

	eopack := testpeer.Eopack(t)
	gc := func(extra ...string) string {
		return testpeer.Run(t, "", eopack, append([]string{"serve", "gc", "--db", c.db, "--blobs", c.blobs, "--grace", "0s"}, extra...)...)
	}
	dry := gc("--dry-run")
	real := gc()
	const want = "2 blobs (" // the deleted artifact's config and layer
	if !strings.Contains(dry, "gc would remove "+want) || !strings.Contains(real, "gc removed "+want) ||
		strings.TrimPrefix(dry, "gc would remove") != strings.TrimPrefix(real, "gc removed") {
		t.Fatalf("dry run: %q\nreal run: %q", dry, real)
	}
	if again := gc(); !strings.Contains(again, "gc removed 0 blobs (0 bytes)") {
		t.Fatalf("a second run: %q", again)
	}
	checkBlob(t, host, "eo/gccmd", digest.FromBytes(kept.layer), int64(len(kept.layer)))
	expect(t, http.StatusNotFound, host, "GET", "/v2/eo/gccmd/blobs/"+digest.FromBytes(gone.layer).String(), nil)
}
