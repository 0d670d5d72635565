package client

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// tree lists the regular files under dir (slash paths relative to dir) with their digests.
func (e *env) tree(dir string) map[string]string {
	e.t.Helper()
	got := map[string]string{}
	root := e.path(dir)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		got[filepath.ToSlash(rel)] = testpeer.FileDigest(e.t, p)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	return got
}

func (e *env) sameTree(what, a, b string) {
	e.t.Helper()
	ta, tb := e.tree(a), e.tree(b)
	if len(ta) == 0 || len(ta) != len(tb) {
		e.t.Fatalf("%s: %s has %v, %s has %v", what, a, ta, b, tb)
	}
	for k, v := range ta {
		if tb[k] != v {
			e.t.Errorf("%s: %s differs (%s vs %s)", what, k, v, tb[k])
		}
	}
}

// pullJSON is the --format json output of pull, reduced to what both tools must agree on.
func pullJSON(t *testing.T, out, dir string) (string, []string) {
	t.Helper()
	var res struct {
		Reference string
		Files     []struct{ Path string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("pull --format json: %v\n%s", err, out)
	}
	seen := map[string]bool{}
	var paths []string
	for _, f := range res.Files {
		rel, err := filepath.Rel(dir, f.Path)
		if err != nil {
			t.Fatal(err)
		}
		if !seen[rel] { // ORAS lists a file shared by two manifests twice; eopack once
			seen[rel] = true
			paths = append(paths, rel)
		}
	}
	sort.Strings(paths)
	return res.Reference, paths
}

// TestPullIndexLikeORAS: an index built by the real ORAS CLI (two artifacts pushed with
// --artifact-platform, then `oras manifest index create`) pulls with eopack exactly as with
// `oras pull`: with --platform the matching artifact's files, without it the files of both,
// the same reference in --format json, and a platform matching nothing fails in both.
func TestPullIndexLikeORAS(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Addr + "/eo/multi"
	e.write("amd/B04.tif", realTIFF(t))
	e.write("amd/common.txt", []byte("shared by both"))
	e.write("arm/B08.txt", []byte("arm only"))
	e.write("arm/common.txt", []byte("shared by both"))
	// Pushed from inside each folder: both artifacts have a common.txt (same content).
	testpeer.Run(t, e.path("amd"), e.oras, "push", "--plain-http", repo+":amd", "--artifact-platform", "linux/amd64", "B04.tif", "common.txt")
	testpeer.Run(t, e.path("arm"), e.oras, "push", "--plain-http", repo+":arm", "--artifact-platform", "linux/arm/v7", "B08.txt", "common.txt")
	e.orasRun("manifest", "index", "create", "--plain-http", repo+":multi", "amd", "arm")

	for i, flags := range [][]string{nil, {"--platform", "linux/amd64"}, {"--platform", "linux/arm/v7"}, {"--platform", "linux/arm"}} {
		what := "pull " + strings.Join(flags, " ")
		o, w := "oras"+string(rune('0'+i)), "eo"+string(rune('0'+i))
		oj := e.orasRun(append([]string{"pull", "--plain-http", repo + ":multi", "-o", o, "--format", "json"}, flags...)...)
		wj := e.eo(append([]string{"pull", "--plain-http", repo + ":multi", "-o", w, "--format", "json"}, flags...)...)
		e.sameTree(what, o, w)
		oref, ofiles := pullJSON(t, oj, e.path(o))
		wref, wfiles := pullJSON(t, wj, e.path(w))
		if oref != wref || strings.Join(ofiles, ",") != strings.Join(wfiles, ",") {
			t.Errorf("%s: oras says %s %v, eopack says %s %v", what, oref, ofiles, wref, wfiles)
		}
	}
	if got := e.tree("eo0"); len(got) != 3 {
		t.Errorf("pull without --platform: %v, want B04.tif, B08.txt, common.txt", got)
	}
	if got := e.tree("eo1"); len(got) != 2 || got["B04.tif"] == "" {
		t.Errorf("pull --platform linux/amd64: %v, want B04.tif and common.txt", got)
	}

	if _, err := testpeer.RunErr(e.dir, e.oras, "pull", "--plain-http", repo+":multi", "--platform", "linux/s390x", "-o", "oras-none"); err == nil {
		t.Errorf("oras pull --platform linux/s390x succeeded; the comparison below assumes it fails")
	}
	msg := e.eoFail("pull", "--plain-http", repo+":multi", "--platform", "linux/s390x", "-o", "eo-none")
	if !strings.Contains(msg, "linux/amd64, linux/arm/v7") {
		t.Errorf("no-match error does not name the platforms there: %s", msg)
	}
	if got := e.tree("eo-none"); len(got) != 0 {
		t.Errorf("failed pull wrote %v", got)
	}
}

// TestPullIndexTitleClashLikeORAS: two artifacts of an index giving one title to different
// content: `oras pull` fails ("duplicate name") and so does eopack, writing nothing; with
// --platform both pull the chosen artifact.
func TestPullIndexTitleClashLikeORAS(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Addr + "/eo/clash"
	e.write("a/same.txt", []byte("from a"))
	e.write("b/same.txt", []byte("from b"))
	testpeer.Run(t, e.path("a"), e.oras, "push", "--plain-http", repo+":a", "--artifact-platform", "linux/amd64", "same.txt")
	testpeer.Run(t, e.path("b"), e.oras, "push", "--plain-http", repo+":b", "--artifact-platform", "linux/arm64", "same.txt")
	e.orasRun("manifest", "index", "create", "--plain-http", repo+":multi", "a", "b")

	if out, err := testpeer.RunErr(e.dir, e.oras, "pull", "--plain-http", repo+":multi", "-o", "oras-all"); err == nil || !strings.Contains(out, "duplicate name") {
		t.Errorf("oras pull of a clashing index: err %v, output\n%s", err, out)
	}
	msg := e.eoFail("pull", "--plain-http", repo+":multi", "-o", "eo-all")
	if !strings.Contains(msg, `"same.txt"`) {
		t.Errorf("clash error does not name the title: %s", msg)
	}
	if got := e.tree("eo-all"); len(got) != 0 {
		t.Errorf("refused pull wrote %v", got)
	}
	e.orasRun("pull", "--plain-http", repo+":multi", "--platform", "linux/arm64", "-o", "oras-arm")
	e.eo("pull", "--plain-http", repo+":multi", "--platform", "linux/arm64", "-o", "eo-arm")
	e.sameTree("--platform linux/arm64", "oras-arm", "eo-arm")
	if b := e.read("eo-arm/same.txt"); string(b) != "from b" {
		t.Errorf("--platform linux/arm64 pulled %q", b)
	}
}
