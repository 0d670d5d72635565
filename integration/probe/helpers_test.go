// Package probe_test runs `eopack probe` against real registries: the pinned CNCF
// distribution registry (whose known differences it asserts, each confirmed in that
// version's source), `eopack serve` (where every check must pass), with and without basic
// auth, and an unreachable host. It also checks the probe leaves registries as it found them.
package probe_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// result mirrors probe.Result as --format json writes it.
type result struct {
	ID        string   `json:"id"`
	Status    string   `json:"status"`
	Summary   string   `json:"summary"`
	Evidence  []string `json:"evidence"`
	Leftovers []string `json:"leftovers"`
}

type report struct {
	Registry   string   `json:"registry"`
	Repository string   `json:"repository"`
	Results    []result `json:"results"`
}

func (r report) byID() map[string]result {
	m := map[string]result{}
	for _, x := range r.Results {
		m[x.ID] = x
	}
	return m
}

// probeJSON runs `eopack probe ARGS --format json`, which must exit 0.
func probeJSON(t *testing.T, args ...string) []report {
	t.Helper()
	out := testpeer.Run(t, t.TempDir(), testpeer.Eopack(t), append(append([]string{"probe"}, args...), "--format", "json")...)
	var reps []report
	if err := json.Unmarshal([]byte(out), &reps); err != nil {
		t.Fatalf("probe output is not JSON: %v\n%s", err, out)
	}
	return reps
}

// creds are basic-auth credentials for snapshots and seeding ("" = anonymous).
type creds struct{ user, pass string }

func get(t *testing.T, method, url string, c creds) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func getJSON(t *testing.T, url string, c creds, v any) {
	t.Helper()
	resp := get(t, http.MethodGet, url, c)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s → %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// snapshot is what a client can see of a registry: repository → "tag=digest" entries.
func snapshot(t *testing.T, host string, c creds) map[string][]string {
	t.Helper()
	var cat struct {
		Repositories []string `json:"repositories"`
	}
	getJSON(t, "http://"+host+"/v2/_catalog", c, &cat)
	snap := map[string][]string{}
	for _, repo := range cat.Repositories {
		var tl struct {
			Tags []string `json:"tags"`
		}
		getJSON(t, "http://"+host+"/v2/"+repo+"/tags/list", c, &tl)
		entries := []string{}
		for _, tag := range tl.Tags {
			resp := get(t, http.MethodHead, "http://"+host+"/v2/"+repo+"/manifests/"+tag, c)
			resp.Body.Close()
			entries = append(entries, tag+"="+resp.Header.Get("Docker-Content-Digest"))
		}
		slices.Sort(entries)
		snap[repo] = entries
	}
	return snap
}

// assertAsFound checks every repository seen before is unchanged and that _catalog now lists
// exactly the repositories seen before plus extra, each of those with no tags. eopack serve
// drops a repository once it is empty, so it must come back as found (no extra);
// distribution keeps the emptied scratch repository listed (extra = scratch).
func assertAsFound(t *testing.T, before, after map[string][]string, extra ...string) {
	t.Helper()
	for repo, entries := range before {
		if !slices.Equal(after[repo], entries) {
			t.Errorf("%s changed: before %v, after %v", repo, entries, after[repo])
		}
	}
	want := slices.Sorted(maps.Keys(before))
	for _, repo := range extra {
		if _, ok := before[repo]; !ok {
			want = append(want, repo)
		}
		if entries := after[repo]; len(entries) > 0 {
			t.Errorf("scratch repository %s still has tags %v", repo, entries)
		}
	}
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(after)); !slices.Equal(got, want) {
		t.Errorf("_catalog after the probe %q, want %q", got, want)
	}
}

// seed pushes a small EO-like artifact with the real ORAS CLI, as a user's content.
func seed(t *testing.T, host string, c creds) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "B04.tif"), []byte("II*\x00 a band of someone's product"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"push", "--plain-http", host + "/eo/products:v1", "B04.tif:image/tiff",
		"--artifact-type", "application/vnd.eopack.eo.product.v1"}
	if c.user != "" {
		args = append(args, "-u", c.user, "-p", c.pass)
	}
	testpeer.Run(t, dir, testpeer.Bin(t, "oras"), args...)
	return dir
}

// assertSeedIntact pulls the seeded artifact back with ORAS and compares the file.
func assertSeedIntact(t *testing.T, host string, c creds, seedDir string) {
	t.Helper()
	out := t.TempDir()
	args := []string{"pull", "--plain-http", host + "/eo/products:v1", "-o", out}
	if c.user != "" {
		args = append(args, "-u", c.user, "-p", c.pass)
	}
	testpeer.Run(t, out, testpeer.Bin(t, "oras"), args...)
	want, _ := os.ReadFile(filepath.Join(seedDir, "B04.tif"))
	got, err := os.ReadFile(filepath.Join(out, "B04.tif"))
	if err != nil || string(got) != string(want) {
		t.Errorf("seeded artifact damaged by the probe: %v %q", err, got)
	}
}

func assertAllPass(t *testing.T, rep report) {
	t.Helper()
	for _, r := range rep.Results {
		if r.Status != "pass" {
			t.Errorf("%s %s: %s %q\n  %s", rep.Registry, r.ID, r.Status, r.Summary, strings.Join(r.Evidence, "\n  "))
		}
		if len(r.Leftovers) > 0 {
			t.Errorf("%s %s left %v", rep.Registry, r.ID, r.Leftovers)
		}
	}
}
