package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
)

// manifest pushes a manifest of config and titled files (title → content), with subject,
// tagged tag.
func (r *pullIndexRepo) manifest(tag string, config ocispec.Descriptor, subject *ocispec.Descriptor, files map[string]string) ocispec.Descriptor {
	r.t.Helper()
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: "application/vnd.test", Config: config, Subject: subject}
	for n, c := range files {
		l := r.push("text/plain", []byte(c))
		l.Annotations = map[string]string{ocispec.AnnotationTitle: n}
		m.Layers = append(m.Layers, l)
	}
	raw, _ := json.Marshal(m)
	d, err := oras.TagBytes(context.Background(), r.repo, ocispec.MediaTypeImageManifest, raw, tag)
	if err != nil {
		r.t.Fatal(err)
	}
	return d
}

// --include-subject pulls the subject's files too, recursively, the deepest first in
// --format json; without it only the named artifact's.
func TestPullIncludeSubject(t *testing.T) {
	r := newPullIndexRepo(t)
	empty := r.push(ocispec.MediaTypeEmptyJSON, []byte("{}"))
	base := r.manifest("base", empty, nil, map[string]string{"data.tif": "pixels"})
	sig := r.manifest("sig", empty, &base, map[string]string{"sig.json": "signed"})
	r.manifest("countersig", empty, &sig, map[string]string{"counter.json": "countersigned"})
	dir := t.TempDir()

	out := filepath.Join(dir, "plain")
	verbsMust(t, "", "pull", "--plain-http", r.ref+":countersig", "-o", out)
	sameTree(t, "without --include-subject", readTree(t, out), map[string]string{"counter.json": "countersigned"})

	out = filepath.Join(dir, "all")
	stdout := verbsMust(t, "", "pull", "--plain-http", "--include-subject", r.ref+":countersig", "-o", out, "--format", "json")
	sameTree(t, "--include-subject", readTree(t, out),
		map[string]string{"counter.json": "countersigned", "sig.json": "signed", "data.tif": "pixels"})
	var js struct{ Files []struct{ Path string } }
	if err := json.Unmarshal([]byte(stdout), &js); err != nil || len(js.Files) != 3 ||
		filepath.Base(js.Files[0].Path) != "data.tif" || filepath.Base(js.Files[2].Path) != "counter.json" {
		t.Errorf("--format json: want data.tif, sig.json, counter.json: %v\n%s", err, stdout)
	}

	// a subject giving one title to other content is refused before anything is written
	clash := r.manifest("clash", empty, &base, map[string]string{"data.tif": "other"})
	_ = clash
	out = filepath.Join(dir, "clash")
	verbsFail(t, 1, "", []string{"pull", "--plain-http", "--include-subject", r.ref + ":clash", "-o", out}, `"data.tif"`)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused pull created the output folder (%v)", err)
	}
}

// --config path[:mediaType] writes the config (of that media type) to path in the output
// folder, and --format json does not list it, as ORAS.
func TestPullConfig(t *testing.T) {
	r := newPullIndexRepo(t)
	cfg := r.push(ocispec.MediaTypeImageConfig, []byte(`{"architecture":"arm64","os":"linux"}`))
	r.manifest("v1", cfg, nil, map[string]string{"a.txt": "a"})
	dir := t.TempDir()

	out := filepath.Join(dir, "cfg")
	stdout := verbsMust(t, "", "pull", "--plain-http", r.ref+":v1", "--config", "meta/config.json", "-o", out, "--format", "json")
	sameTree(t, "--config", readTree(t, out), map[string]string{"a.txt": "a", "meta/config.json": `{"architecture":"arm64","os":"linux"}`})
	if strings.Contains(stdout, "config.json") {
		t.Errorf("--format json lists the config:\n%s", stdout)
	}
	out = filepath.Join(dir, "typed")
	verbsMust(t, "", "pull", "--plain-http", r.ref+":v1", "--config", "c.json:"+ocispec.MediaTypeImageConfig, "-o", out)
	sameTree(t, "--config with its media type", readTree(t, out), map[string]string{"a.txt": "a", "c.json": `{"architecture":"arm64","os":"linux"}`})
	out = filepath.Join(dir, "other")
	verbsMust(t, "", "pull", "--plain-http", r.ref+":v1", "--config", "c.json:application/x-other", "-o", out)
	sameTree(t, "--config with another media type", readTree(t, out), map[string]string{"a.txt": "a"})
	verbsFail(t, 1, "", []string{"pull", "--plain-http", r.ref + ":v1", "--config", "../c.json", "-o", filepath.Join(dir, "up")}, "--allow-path-traversal")
}

// Titles leaving the output folder are refused (naming -T) and written where they point
// with -T, through a writer rooted at their own folder.
func TestPullAllowPathTraversal(t *testing.T) {
	r := newPullIndexRepo(t)
	empty := r.push(ocispec.MediaTypeEmptyJSON, []byte("{}"))
	dir := t.TempDir()
	abs := filepath.Join(dir, "abs", "x.txt")
	r.manifest("v1", empty, nil, map[string]string{"../up.txt": "up", abs: "absolute", "in.txt": "in"})

	out := filepath.Join(dir, "out")
	verbsFail(t, 1, "", []string{"pull", "--plain-http", r.ref + ":v1", "-o", out}, "--allow-path-traversal")
	if _, err := os.Stat(filepath.Join(dir, "up.txt")); !os.IsNotExist(err) {
		t.Errorf("refused pull wrote ../up.txt (%v)", err)
	}
	stdout := verbsMust(t, "", "pull", "--plain-http", r.ref+":v1", "-T", "-o", out, "--format", "json")
	for p, want := range map[string]string{filepath.Join(dir, "up.txt"): "up", abs: "absolute", filepath.Join(out, "in.txt"): "in"} {
		if b, err := os.ReadFile(p); err != nil || string(b) != want {
			t.Errorf("-T: %s = %q, %v; want %q", p, b, err, want)
		}
		if !strings.Contains(stdout, `"path": "`+p+`"`) {
			t.Errorf("-T: --format json does not give %s:\n%s", p, stdout)
		}
	}
}
