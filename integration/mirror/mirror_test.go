package mirror

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/internal/testpeer"
)

// 50 repositories × 5 tags, each tag with a referrer, from eopack serve to distribution:
// every tag resolves to the same digest, every referrer is listed in distribution's
// referrers tag schema, repositories outside the prefix stay behind, and a second run copies
// 0 blobs, faster.
func TestMirrorManyRepositories(t *testing.T) {
	src := testpeer.StartServe(t, "")
	dst := testpeer.StartDistribution(t)
	const repos, tags = 50, 5
	want := make([][]pushed, repos)
	var wg sync.WaitGroup
	for i := range repos {
		want[i] = make([]pushed, tags)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range tags {
				want[i][j] = pushArtifact(t, src.Host(), spec{repo: repoName(i), tag: fmt.Sprintf("v%d", j+1), layer: 1024, referrer: 100})
			}
		}()
	}
	wg.Wait()
	pushArtifact(t, src.Host(), spec{repo: "other/x", tag: "v1", layer: 10})
	pushArtifact(t, src.Host(), spec{repo: "eox/y", tag: "v1", layer: 10}) // "eo" is a path prefix, not a string one

	dir := t.TempDir()
	first := mustMirror(t, dir, src.Host()+"/eo", dst.Host()+"/mirror")
	n := summary(t, summaryLine(t, first))
	var blobBytes int64
	for i := range repos {
		for j := range tags {
			blobBytes += want[i][j].blobBytes
		}
	}
	// per tag a layer and a referrer layer, per repository one empty config
	wantBlobs, wantBytes := int64(repos*tags*2+repos), blobBytes+repos*int64(len(emptyConfig))
	if n != [6]int64{repos * tags, repos, wantBlobs, wantBytes, 0, 0} {
		t.Errorf("first run: %q, want %d blobs (%d bytes) copied", summaryLine(t, first), wantBlobs, wantBytes)
	}
	var missing []string
	for i := range repos {
		for j := range tags {
			repo, tag := "mirror/p"+fmt.Sprintf("%02d", i), fmt.Sprintf("v%d", j+1)
			if got := resolve(t, dst.Host(), repo, tag); got != want[i][j].manifest.String() {
				missing = append(missing, fmt.Sprintf("%s:%s resolves to %q, want %s", repo, tag, got, want[i][j].manifest))
			}
			refs := tagSchemaReferrers(t, dst.Host(), repo, want[i][j].manifest)
			if len(refs) != 1 || refs[0] != want[i][j].referrer.String() {
				missing = append(missing, fmt.Sprintf("%s:%s has referrers %q, want %s", repo, tag, refs, want[i][j].referrer))
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d problems at the destination, first: %s", len(missing), strings.Join(missing[:min(5, len(missing))], "; "))
	}
	for _, r := range catalog(t, dst.Host()) {
		if !strings.HasPrefix(r, "mirror/p") {
			t.Errorf("destination holds %s: outside the source prefix", r)
		}
	}

	second := mustMirror(t, dir, src.Host()+"/eo", dst.Host()+"/mirror")
	line := summaryLine(t, second)
	if !strings.Contains(line, "copied 0 blobs (0 bytes)") {
		t.Errorf("second run: %q, want 0 blobs copied", line)
	}
	if m := summary(t, line); m[0] != repos*tags || m[1] != repos || m[4] != wantBlobs || m[5] != wantBytes {
		t.Errorf("second run: %q", line)
	}
	if strings.Contains(second.stdout, "Copied ") {
		t.Errorf("second run copied something:\n%s", second.stdout)
	}
	t.Logf("first run %v, second run %v", first.took.Round(time.Millisecond), second.took.Round(time.Millisecond))
	if second.took >= first.took {
		t.Errorf("second run took %v, the first %v: want faster", second.took, first.took)
	}
}

// The filters select exactly the expected tags (registry → layout, so the layout's tag list
// is what was mirrored).
func TestMirrorFilters(t *testing.T) {
	src := testpeer.StartServe(t, "")
	now := time.Now().UTC()
	for _, s := range []spec{
		{repo: "eo/a", tag: "v1", artifactType: "application/vnd.eopack.product", created: "2026-01-01T00:00:00Z", annotations: map[string]string{"k": "x"}},
		{repo: "eo/a", tag: "v2", artifactType: "application/vnd.eopack.other", created: now.Add(-time.Hour).Format(time.RFC3339), annotations: map[string]string{"k": "y"}},
		{repo: "eo/a", tag: "dev", artifactType: "application/vnd.eopack.product", annotations: map[string]string{"k": "x", "env": "test"}},
		{repo: "eo/b", tag: "v1", artifactType: "application/vnd.eopack.product", created: now.Add(-2 * time.Hour).Format(time.RFC3339Nano), annotations: map[string]string{"k": "x"}, referrer: 10},
		{repo: "other/c", tag: "v1", artifactType: "application/vnd.eopack.product"},
	} {
		s.layer = 64
		pushArtifact(t, src.Host(), s)
	}
	dir := t.TempDir()
	for i, c := range []struct {
		flags []string
		want  []string
	}{
		{nil, []string{"eo/a:dev", "eo/a:v1", "eo/a:v2", "eo/b:v1"}},
		{[]string{"--tag", "v*"}, []string{"eo/a:v1", "eo/a:v2", "eo/b:v1"}},
		{[]string{"--tag", "dev", "--tag", "v2"}, []string{"eo/a:dev", "eo/a:v2"}},
		{[]string{"--artifact-type", "application/vnd.eopack.product"}, []string{"eo/a:dev", "eo/a:v1", "eo/b:v1"}},
		{[]string{"--annotation", "k=x"}, []string{"eo/a:dev", "eo/a:v1", "eo/b:v1"}},
		{[]string{"--annotation", "k=x", "--annotation", "env=test"}, []string{"eo/a:dev"}},
		{[]string{"--since", "24h"}, []string{"eo/a:v2", "eo/b:v1"}},
		{[]string{"--since", "2025-12-31"}, []string{"eo/a:v1", "eo/a:v2", "eo/b:v1"}},
		{[]string{"--since", "2025-12-31", "--tag", "v1", "--annotation", "k=x"}, []string{"eo/a:v1", "eo/b:v1"}},
		{[]string{"--tag", "nothing*"}, nil},
	} {
		out := fmt.Sprintf("%s/l%d", dir, i)
		r := mustMirror(t, dir, append(c.flags, "--to-oci-layout", src.Host()+"/eo", out)...)
		var got []string
		if len(c.want) > 0 {
			got = layoutTags(t, out)
		}
		sameList(t, strings.Join(c.flags, " "), got, c.want)
		if n := summary(t, summaryLine(t, r)); n[0] != int64(len(c.want)) {
			t.Errorf("%s: summary %q, want %d tags", strings.Join(c.flags, " "), summaryLine(t, r), len(c.want))
		}
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--annotation", "novalue"}, {"--tag", "v["}, {"--artifact-type", "a/b; c=d"}} {
		r := eopack(t, dir, append([]string{"mirror", "--to-oci-layout", src.Host() + "/eo", dir + "/bad"}, bad...)...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "Error: ") {
			t.Errorf("%q: exit %d, %q; want a usage error", bad, r.code, r.stderr)
		}
	}
}

// --dry-run copies nothing and counts the bytes the destination lacks: the bytes the real
// run then copies; after it, a dry run finds nothing missing.
func TestMirrorDryRun(t *testing.T) {
	src := testpeer.StartServe(t, "")
	dst := testpeer.StartDistribution(t)
	var want int64
	for _, s := range []spec{
		{repo: "eo/a", tag: "v1", layer: 1000, referrer: 300},
		{repo: "eo/a", tag: "v2", layer: 2000},
		{repo: "eo/b", tag: "v1", layer: 4000, referrer: 500},
	} {
		want += pushArtifact(t, src.Host(), s).blobBytes
	}
	want += 2 * int64(len(emptyConfig)) // one config per repository
	dir := t.TempDir()
	dry := mustMirror(t, dir, "--dry-run", src.Host()+"/eo", dst.Host()+"/m")
	line := summaryLine(t, dry)
	if wantLine := fmt.Sprintf("Dry run: would mirror 3 tags in 2 repositories: 7 blobs (%d bytes) and 5 manifests missing at the destination", want); line != wantLine {
		t.Errorf("dry run: %q\nwant      %q", line, wantLine)
	}
	for _, l := range []string{"/eo/a:v1 → " + dst.Host() + "/m/a:v1", "/eo/a:v2 → " + dst.Host() + "/m/a:v2", "/eo/b:v1 → " + dst.Host() + "/m/b:v1"} {
		if !strings.Contains(dry.stdout, "Would copy "+src.Host()+l) {
			t.Errorf("dry run does not list %s:\n%s", l, dry.stdout)
		}
	}
	if repos := catalog(t, dst.Host()); len(repos) != 0 {
		t.Errorf("dry run wrote %q", repos)
	}
	real := mustMirror(t, dir, src.Host()+"/eo", dst.Host()+"/m")
	if n := summary(t, summaryLine(t, real)); n[2] != 7 || n[3] != want || n[4] != 0 {
		t.Errorf("real run: %q, want 7 blobs (%d bytes) as the dry run said", summaryLine(t, real), want)
	}
	again := mustMirror(t, dir, "--dry-run", src.Host()+"/eo", dst.Host()+"/m")
	if line := summaryLine(t, again); !strings.HasSuffix(line, ": 0 blobs (0 bytes) and 0 manifests missing at the destination") {
		t.Errorf("dry run after the mirror: %q", line)
	}
}

// A tag whose blob is gone from the source fails; the mirror goes on with the others, names
// the failure on one line and exits 1 with one Error: line.
func TestMirrorFailure(t *testing.T) {
	src := testpeer.StartServe(t, "")
	dst := testpeer.StartDistribution(t)
	good := pushArtifact(t, src.Host(), spec{repo: "eo/good", tag: "v1", layer: 100, referrer: 10})
	pushArtifact(t, src.Host(), spec{repo: "eo/bad", tag: "v1", layer: 100})
	bad2 := pushArtifact(t, src.Host(), spec{repo: "eo/bad", tag: "v2", layer: 200})
	// delete v2's layer from the source repository
	_, body := do(t, "GET", "http://"+src.Host()+"/v2/eo/bad/manifests/v2", "", nil)
	var m struct {
		Layers []struct{ Digest digest.Digest }
	}
	if err := jsonUnmarshal(body, &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("manifest: %v %s", err, body)
	}
	if status, b := do(t, "DELETE", "http://"+src.Host()+"/v2/eo/bad/blobs/"+m.Layers[0].Digest.String(), "", nil); status != 202 {
		t.Fatalf("blob delete: %d %s", status, b)
	}
	r := eopack(t, t.TempDir(), "mirror", src.Host()+"/eo", dst.Host()+"/m")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "Failed: "+src.Host()+"/eo/bad:v2 → "+dst.Host()+"/m/bad:v2: ") ||
		!strings.Contains(lines[0], m.Layers[0].Digest.String()) || !strings.HasPrefix(lines[1], "Error: mirror incomplete: 1 failed") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	t.Logf("failure reported as:\n%s", r.stderr)
	if line := summaryLine(t, r); !strings.HasPrefix(line, "Mirrored 2 tags in 2 repositories: ") {
		t.Errorf("summary %q", line)
	}
	if got := resolve(t, dst.Host(), "m/good", "v1"); got != good.manifest.String() {
		t.Errorf("m/good:v1 = %q, want %s", got, good.manifest)
	}
	if got := resolve(t, dst.Host(), "m/bad", "v1"); got == "" {
		t.Error("m/bad:v1 not mirrored")
	}
	if got := resolve(t, dst.Host(), "m/bad", "v2"); got == bad2.manifest.String() {
		t.Error("m/bad:v2 mirrored without its layer")
	}
}

// registry → layout → registry: the layout names tags "repository:tag", and mirroring it
// back restores the repositories under the new prefix with the same digests and referrers.
func TestMirrorLayoutRoundTrip(t *testing.T) {
	src := testpeer.StartServe(t, "")
	dst := testpeer.StartServe(t, "")
	a := pushArtifact(t, src.Host(), spec{repo: "eo/s2/l2a", tag: "v1", layer: 500, referrer: 50})
	b := pushArtifact(t, src.Host(), spec{repo: "eo/s1", tag: "dev", layer: 300})
	dir := t.TempDir()
	mustMirror(t, dir, "--to-oci-layout", src.Host()+"/eo", "lay")
	sameList(t, "layout tags", layoutTags(t, dir+"/lay"), []string{"eo/s1:dev", "eo/s2/l2a:v1"})
	r := mustMirror(t, dir, "--from-oci-layout", "lay", dst.Host()+"/back")
	if line := summaryLine(t, r); !strings.HasPrefix(line, "Mirrored 2 tags in 2 repositories: copied 5 blobs") {
		t.Errorf("layout → registry: %q", line)
	}
	if got := resolve(t, dst.Host(), "back/eo/s2/l2a", "v1"); got != a.manifest.String() {
		t.Errorf("back/eo/s2/l2a:v1 = %q, want %s", got, a.manifest)
	}
	if got := resolve(t, dst.Host(), "back/eo/s1", "dev"); got != b.manifest.String() {
		t.Errorf("back/eo/s1:dev = %q, want %s", got, b.manifest)
	}
	_, body := do(t, "GET", "http://"+dst.Host()+"/v2/back/eo/s2/l2a/referrers/"+a.manifest.String(), "", nil)
	if !strings.Contains(string(body), a.referrer.String()) {
		t.Errorf("referrers of back/eo/s2/l2a:v1: %s, want %s", body, a.referrer)
	}
	again := mustMirror(t, dir, "--from-oci-layout", "lay", dst.Host()+"/back")
	if line := summaryLine(t, again); !strings.Contains(line, "copied 0 blobs (0 bytes)") {
		t.Errorf("second layout → registry: %q", line)
	}
}

// A destination below the source prefix on the same registry is not mirrored into itself:
// the second run finds the same tags, and blobs are mounted, not uploaded.
func TestMirrorIntoOwnPrefix(t *testing.T) {
	src := testpeer.StartServe(t, "")
	pushArtifact(t, src.Host(), spec{repo: "eo/a", tag: "v1", layer: 100, referrer: 10})
	dir := t.TempDir()
	first := summaryLine(t, mustMirror(t, dir, src.Host()+"/eo", src.Host()+"/eo/mirror"))
	if !strings.HasPrefix(first, "Mirrored 1 tags in 1 repositories: copied 0 blobs (0 bytes), skipped 0 existing (0 bytes), mounted 3 (") {
		t.Errorf("first run: %q", first)
	}
	second := summaryLine(t, mustMirror(t, dir, src.Host()+"/eo", src.Host()+"/eo/mirror"))
	if second != "Mirrored 1 tags in 1 repositories: copied 0 blobs (0 bytes), skipped 3 existing (112 bytes)" {
		t.Errorf("second run: %q", second)
	}
	sameList(t, "catalog", catalog(t, src.Host()), []string{"eo/a", "eo/mirror/a"})
}
