package probe_test

import (
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestProbeRegistryWithoutDeletes: deletion is reported unsupported with distribution's
// answer, and what the probe could not delete is listed under the table.
//
// Source (distribution v3.1.2): registry/handlers/manifests.go DeleteManifest answers
// ErrorCodeUnsupported when `!imh.App.deleteEnabled` (tags and manifests alike);
// registry/storage/linkedblobstore.go Delete returns ErrUnsupported when deletes are off,
// which registry/handlers/blob.go DeleteBlob maps to ErrorCodeUnsupported; and
// registry/api/errcode/register.go gives UNSUPPORTED the status 405 Method Not Allowed.
func TestProbeRegistryWithoutDeletes(t *testing.T) {
	// deletes disabled: distribution's default, and Docker Hub's and GHCR's situation for API deletes
	addr := testpeer.StartDistributionWith(t, testpeer.DistributionOptions{NoDelete: true}).Addr
	rep := probeJSON(t, addr, "--only", "delete-tag,delete-manifest,delete-blob,range")[0]
	got := rep.byID()
	for _, id := range []string{"delete-tag", "delete-manifest", "delete-blob"} {
		if r := got[id]; r.Status != "unsupported" || !strings.Contains(r.Summary, "405 UNSUPPORTED") {
			t.Errorf("%s: %s %q, want unsupported with 405 UNSUPPORTED", id, r.Status, r.Summary)
		}
	}
	if r := got["range"]; r.Status != "pass" {
		t.Errorf("range: %s %q", r.Status, r.Summary)
	}
	// Every check pushed something it could not delete; each says what.
	for _, id := range []string{"delete-tag", "delete-manifest", "delete-blob", "range"} {
		left := got[id].Leftovers
		if len(left) == 0 {
			t.Errorf("%s: no leftovers reported on a registry that refuses deletes", id)
		}
		for _, l := range left {
			if !strings.Contains(l, rep.Repository) || !strings.Contains(l, "405 UNSUPPORTED") {
				t.Errorf("%s: leftover %q does not name the repository and the refusal", id, l)
			}
		}
	}

	text := testpeer.Run(t, t.TempDir(), testpeer.Eopack(t), "probe", addr, "--only", "delete-blob")
	if !strings.Contains(text, "could not delete") || !strings.Contains(text, "DELETE → 405 UNSUPPORTED") {
		t.Errorf("table footer does not list leftovers:\n%s", text)
	}
}
