package probe_test

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
	"github.com/eopack/eopack/probe"
)

// distributionDiffers lists what the pinned distribution registry (v3.1.2) does differently
// from the spec's optional features, each confirmed in its source at tag v3.1.2
// (github.com/distribution/distribution/v3@v3.1.2). Every check not listed must pass.
var distributionDiffers = map[string]struct{ status, summary string }{
	// registry/handlers/blobupload.go, StartBlobUpload: reads only the "mount" and "from"
	// form values and always answers 202 with a session; the "digest" of a single-POST
	// upload is ignored.
	"upload-single-post": {"unsupported", "202"},
	// Same function: `if mountDigest != "" && fromRepo != ""` — a mount without "from"
	// (automatic content discovery, spec "end-11") falls back to a 202 session.
	"mount-auto": {"unsupported", "202"},
	// registry/api/v2/routes.go: the routes are base, manifest, tags, blob, blob-upload,
	// blob-upload-chunk and catalog; there is no /referrers/ route, so 404.
	"referrers":        {"unsupported", "404"},
	"referrers-filter": {"unsupported", "404"},
	// registry/handlers/manifests.go, PutManifest: `if desc.Digest != imh.Digest` →
	// DIGEST_INVALID, where desc.Digest is the canonical sha256 of the payload, so a manifest
	// PUT by sha512 is refused. Blobs uploaded as sha512 are accepted but committed under the
	// canonical sha256 (registry/storage/blobwriter.go, Commit/validateBlob), which is what
	// Docker-Content-Digest then says.
	"sha512": {"unsupported", "blob kept as sha256; manifest: PUT by sha512 → 400 DIGEST_INVALID"},
	// registry/handlers/manifests.go: `maxManifestBodySize = 4 * 1024 * 1024`, refused
	// beyond with MANIFEST_INVALID (400). 4 MiB is the spec's SHOULD, so it passes.
	"manifest-size": {"pass", "accepts 4 MiB, refuses 4.02 MiB (400 MANIFEST_INVALID)"},
	// OCI-Chunk-Min-Length appears nowhere in v3.1.2; chunked uploads work without it.
	"upload-chunked": {"pass", "no OCI-Chunk-Min-Length"},
}

// TestProbeServeAndDistribution probes both registries side by side, on registries that
// already hold a user's artifact, and checks they are left as found.
//
// eopack serve's _catalog is exactly what it was before: it drops a repository once a DELETE
// left it empty, so both scratch repositories (eopack-probe/<random> and its -src mount
// source) and their plain parent folder eopack-probe/ are gone. Distribution keeps the
// scratch repository listed with no tags: it lists every repository that has a _manifests
// folder (registry/storage/catalog.go, handleRepository), which deleting manifests does not
// remove, and lists the mount-source repository (blobs only) not at all. The distribution
// spec has no way to delete a repository, so a client cannot do better there.
func TestProbeServeAndDistribution(t *testing.T) {
	serve := testpeer.StartServe(t, "")
	dist := testpeer.StartDistribution(t)
	seeds := map[string]string{}
	before := map[string]map[string][]string{}
	for _, s := range []*testpeer.Server{serve, dist} {
		seeds[s.Addr] = seed(t, s.Addr, creds{})
		before[s.Addr] = snapshot(t, s.Addr, creds{})
	}

	reps := probeJSON(t, serve.Addr, dist.Addr, "--max-blob", "16MiB")
	if len(reps) != 2 || reps[0].Registry != serve.Addr || reps[1].Registry != dist.Addr {
		t.Fatalf("reports %+v, want serve then distribution", reps)
	}
	assertAllPass(t, reps[0])

	for _, r := range reps[1].Results {
		want, differs := distributionDiffers[r.ID]
		if !differs {
			want.status = "pass"
		}
		if r.Status != want.status || !strings.Contains(r.Summary, want.summary) {
			t.Errorf("distribution %s: %s %q, want %s %q\n  %s", r.ID, r.Status, r.Summary,
				want.status, want.summary, strings.Join(r.Evidence, "\n  "))
		}
		if len(r.Leftovers) > 0 {
			t.Errorf("distribution %s left %v", r.ID, r.Leftovers)
		}
	}
	if len(reps[1].Results) != len(reps[0].Results) {
		t.Errorf("distribution ran %d checks, serve %d", len(reps[1].Results), len(reps[0].Results))
	}

	assertAsFound(t, before[serve.Addr], snapshot(t, serve.Addr, creds{}))
	assertAsFound(t, before[dist.Addr], snapshot(t, dist.Addr, creds{}), reps[1].Repository)
	for _, s := range []*testpeer.Server{serve, dist} {
		assertSeedIntact(t, s.Addr, creds{}, seeds[s.Addr])
	}

	// The same comparison as markdown (the README's table), on two checks.
	md := testpeer.Run(t, t.TempDir(), testpeer.Eopack(t), "probe", serve.Addr, dist.Addr,
		"--only", "referrers,range", "--format", "markdown")
	for _, want := range []string{
		"| check | " + serve.Addr + " | " + dist.Addr + " |",
		"|---|---|---|",
		"| referrers API | pass: 200, both listed; OCI-Subject sent | unsupported: 404: no API; clients use the tag schema |",
		"| Range GET on blobs (206) | pass: 206, right bytes | pass: 206, right bytes |",
		"- " + serve.Addr + ": scratch repository eopack-probe/",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestProbeServeHtpasswd probes `eopack serve --htpasswd` without credentials, with wrong
// ones, with -u/-p, and with credentials stored by `eopack login`.
func TestProbeServeHtpasswd(t *testing.T) {
	dir := t.TempDir()
	srv := testpeer.StartServe(t, "", "--htpasswd", testpeer.WriteHtpasswd(t, "alice", "s3cret"))
	alice := creds{"alice", "s3cret"}
	seedDir := seed(t, srv.Addr, alice)
	before := snapshot(t, srv.Addr, alice)

	// No credentials: the table says basic auth is needed and skips the rest.
	emptyConfig := filepath.Join(dir, "empty-auth.json")
	rep := probeJSON(t, srv.Addr, "--registry-config", emptyConfig)[0]
	got := rep.byID()
	if got["reach"].Status != "pass" || !strings.HasPrefix(got["reach"].Summary, "401") {
		t.Errorf("reach without credentials: %+v", got["reach"])
	}
	if a := got["auth"]; a.Status != "fail" || !strings.Contains(a.Summary, "basic") || !strings.Contains(a.Summary, "credential") {
		t.Errorf("auth without credentials: %+v", a)
	}
	for _, r := range rep.Results[2:] {
		if r.Status != "skip" {
			t.Errorf("%s without credentials: %s %q, want skip", r.ID, r.Status, r.Summary)
		}
	}

	// Wrong password: refused, rest skipped.
	rep = probeJSON(t, srv.Addr, "-u", "alice", "-p", "wrong")[0]
	if a := rep.byID()["auth"]; a.Status != "fail" || !strings.Contains(a.Summary, "credentials refused (401 UNAUTHORIZED)") {
		t.Errorf("auth with a wrong password: %+v", a)
	}

	// -u/-p: every check passes.
	rep = probeJSON(t, srv.Addr, "-u", "alice", "-p", "s3cret", "--max-blob", "4MiB")[0]
	assertAllPass(t, rep)
	if a := rep.byID()["auth"]; a.Summary != "basic" {
		t.Errorf("auth scheme %q, want basic", a.Summary)
	}
	assertAsFound(t, before, snapshot(t, srv.Addr, alice))
	assertSeedIntact(t, srv.Addr, alice, seedDir)

	// Credentials stored by `eopack login` are the ones the probe uses.
	authFile := filepath.Join(dir, "auth.json")
	testpeer.Run(t, dir, testpeer.Eopack(t), "login", "-u", "alice", "-p", "s3cret", "--registry-config", authFile, srv.Addr)
	rep = probeJSON(t, srv.Addr+"/team/scratch", "--registry-config", authFile, "--only", "artifact-type,delete-manifest")[0]
	if rep.Repository != "team/scratch" {
		t.Errorf("scratch repository %q, want team/scratch", rep.Repository)
	}
	assertAllPass(t, rep)
	assertAsFound(t, before, snapshot(t, srv.Addr, alice)) // team/scratch and team/ gone too
}

// TestProbeUnreachableHost gives a table, exit 0, saying the host cannot be reached.
func TestProbeUnreachableHost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	out := testpeer.Run(t, t.TempDir(), testpeer.Eopack(t), "probe", addr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "CHECK") || !strings.Contains(lines[0], addr) {
		t.Fatalf("no table header:\n%s", out)
	}
	if !strings.Contains(lines[1], "reach") || !strings.Contains(lines[1], "fail: unreachable") ||
		!strings.Contains(lines[1], "connection refused") {
		t.Errorf("reach row %q", lines[1])
	}
	skipped := strings.Count(out, "skip: reach did not pass")
	if want := len(probe.Checks()) - 1; skipped != want {
		t.Errorf("%d rows skipped, want every check after reach (%d):\n%s", skipped, want, out)
	}
}
