package serve

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/testpeer"
)

// A root written by the first storage format (made by that release, migrate/testdata) is
// imported when `eopack serve` starts on it: every repository, tag, manifest, referrer and
// blob is served as the old server served it, and _catalog now lists "blobs" too.
func TestServeImportsV1Root(t *testing.T) {
	root := t.TempDir()
	fixture := filepath.Join(testpeer.RepoRoot(), "migrate", "testdata")
	if out, err := exec.Command("tar", "-xzf", filepath.Join(fixture, "v1-root.tar.gz"), "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("unpack: %v %s", err, out)
	}
	// the archive holds the root itself or one folder with it
	if ents, _ := os.ReadDir(root); len(ents) == 1 && ents[0].IsDir() && !strings.HasPrefix(ents[0].Name(), "_") {
		if _, err := os.Stat(filepath.Join(root, ents[0].Name(), "_pool")); err == nil {
			root = filepath.Join(root, ents[0].Name())
		}
	}
	data, err := os.ReadFile(filepath.Join(fixture, "v1-root.expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Repositories map[string]struct {
			Blobs     map[digest.Digest]int64
			Manifests map[digest.Digest]string
			Referrers map[digest.Digest][]struct{ Digest digest.Digest }
			Tags      map[string]digest.Digest
		}
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	srv := testpeer.StartServe(t, root)
	var names []string
	for name, repo := range want.Repositories {
		names = append(names, name)
		for tag, d := range repo.Tags {
			code, h, _ := httpDo(t, srv, "GET", "/v2/"+name+"/manifests/"+tag, nil)
			if code != 200 || h.Get("Docker-Content-Digest") != d.String() {
				t.Errorf("%s:%s: %d %s, want %s", name, tag, code, h.Get("Docker-Content-Digest"), d)
			}
		}
		for d, mt := range repo.Manifests {
			code, h, body := httpDo(t, srv, "GET", "/v2/"+name+"/manifests/"+d.String(), nil)
			if code != 200 || h.Get("Content-Type") != mt || d.Algorithm().FromBytes(body) != d {
				t.Errorf("%s@%s: %d %s", name, d, code, h.Get("Content-Type"))
			}
		}
		for d, size := range repo.Blobs {
			code, _, body := httpDo(t, srv, "GET", "/v2/"+name+"/blobs/"+d.String(), nil)
			if code != 200 || int64(len(body)) != size || d.Algorithm().FromBytes(body) != d {
				t.Errorf("%s blob %s: %d, %d bytes", name, d, code, len(body))
			}
		}
		for subject, refs := range repo.Referrers {
			_, _, body := httpDo(t, srv, "GET", "/v2/"+name+"/referrers/"+subject.String(), nil)
			var idx ocispec.Index
			json.Unmarshal(body, &idx)
			var got []string
			for _, m := range idx.Manifests {
				got = append(got, m.Digest.String())
			}
			var exp []string
			for _, r := range refs {
				exp = append(exp, r.Digest.String())
			}
			sort.Strings(got)
			sort.Strings(exp)
			if strings.Join(got, ",") != strings.Join(exp, ",") {
				t.Errorf("%s referrers of %s: %v, want %v", name, subject, got, exp)
			}
		}
	}
	sort.Strings(names)
	var catalog struct{ Repositories []string }
	_, _, body := httpDo(t, srv, "GET", "/v2/_catalog", nil)
	json.Unmarshal(body, &catalog)
	if strings.Join(catalog.Repositories, ",") != strings.Join(names, ",") {
		t.Errorf("catalog %v, want %v", catalog.Repositories, names)
	}
	if _, err := os.Stat(filepath.Join(root, "_pool")); err == nil {
		t.Error("the first format's _pool is still there after the import")
	}
}
