package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/registry"
)

// pullIndexRepo is a repository on eopack's registry handler (httptest) to build indexes in.
type pullIndexRepo struct {
	t    *testing.T
	ref  string // host/repo
	repo *orasremote.Repository
}

func newPullIndexRepo(t *testing.T) *pullIndexRepo {
	t.Helper()
	fs := openStorage(t)
	srv := httptest.NewServer(registry.New(fs, registry.Options{}))
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/t/multi"
	repo, err := orasremote.NewRepository(ref)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return &pullIndexRepo{t: t, ref: ref, repo: repo}
}

// push stores b under mediaType and returns its descriptor.
func (r *pullIndexRepo) push(mediaType string, b []byte) ocispec.Descriptor {
	r.t.Helper()
	d, err := oras.PushBytes(context.Background(), r.repo, mediaType, b)
	if err != nil {
		r.t.Fatal(err)
	}
	return d
}

// artifact pushes a manifest whose layers are the files (title → content) and returns its
// descriptor carrying platform p.
func (r *pullIndexRepo) artifact(p *ocispec.Platform, files map[string]string) ocispec.Descriptor {
	r.t.Helper()
	cfg := r.push(ocispec.MediaTypeEmptyJSON, []byte("{}"))
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: "application/vnd.test", Config: cfg}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		l := r.push("text/plain", []byte(files[n]))
		l.Annotations = map[string]string{ocispec.AnnotationTitle: n}
		m.Layers = append(m.Layers, l)
	}
	raw, _ := json.Marshal(m)
	d := r.push(ocispec.MediaTypeImageManifest, raw)
	d.Platform = p
	return d
}

// index pushes an index of children tagged tag and returns its digest.
func (r *pullIndexRepo) index(tag string, children ...ocispec.Descriptor) digest.Digest {
	r.t.Helper()
	raw, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: children})
	d, err := oras.TagBytes(context.Background(), r.repo, ocispec.MediaTypeImageIndex, raw, tag)
	if err != nil {
		r.t.Fatal(err)
	}
	return d.Digest
}

// readTree maps every regular file under dir (slash paths) to its content.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sameTree(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: files %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q (all: %v)", what, k, got[k], v, got)
		}
	}
}

// TestPullIndexPlatform: --platform pulls only the matching manifest's files and prints its
// digest; no match fails naming the platforms there and writes nothing; without --platform
// the files of every manifest are pulled (a title shared with the same content once) and the
// index digest is printed, as ORAS 1.3.6 does.
func TestPullIndexPlatform(t *testing.T) {
	r := newPullIndexRepo(t)
	amd := r.artifact(&ocispec.Platform{OS: "linux", Architecture: "amd64"},
		map[string]string{"a.txt": "only amd64", "common.txt": "shared"})
	arm := r.artifact(&ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"},
		map[string]string{"b.txt": "only arm", "common.txt": "shared"})
	idx := r.index("v1", amd, arm)
	dir := t.TempDir()

	out := filepath.Join(dir, "arm")
	stdout := verbsMust(t, "", "pull", "--plain-http", r.ref+":v1", "--platform", "linux/arm", "-o", out)
	sameTree(t, "--platform linux/arm", readTree(t, out), map[string]string{"b.txt": "only arm", "common.txt": "shared"})
	if !strings.Contains(stdout, "Digest: "+arm.Digest.String()) {
		t.Errorf("--platform linux/arm: stdout does not name the arm manifest %s:\n%s", arm.Digest, stdout)
	}

	out = filepath.Join(dir, "amd")
	stdout = verbsMust(t, "", "pull", "--plain-http", r.ref+":v1", "--platform", "linux/amd64", "-o", out, "--format", "json")
	sameTree(t, "--platform linux/amd64", readTree(t, out), map[string]string{"a.txt": "only amd64", "common.txt": "shared"})
	var js struct {
		Reference string
		Files     []struct{ Path string }
	}
	if err := json.Unmarshal([]byte(stdout), &js); err != nil || !strings.HasSuffix(js.Reference, "@"+amd.Digest.String()) || len(js.Files) != 2 {
		t.Errorf("--format json with --platform: %v\n%s", err, stdout)
	}

	out = filepath.Join(dir, "none")
	verbsFail(t, 1, "", []string{"pull", "--plain-http", r.ref + ":v1", "--platform", "linux/arm/v6", "-o", out},
		"linux/arm/v6", "linux/amd64, linux/arm/v7")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a platform matching nothing created the output folder (%v)", err)
	}

	out = filepath.Join(dir, "all")
	stdout = verbsMust(t, "", "pull", "--plain-http", r.ref+":v1", "-o", out, "--format", "json")
	sameTree(t, "no --platform", readTree(t, out),
		map[string]string{"a.txt": "only amd64", "b.txt": "only arm", "common.txt": "shared"})
	js.Files = nil
	if err := json.Unmarshal([]byte(stdout), &js); err != nil || !strings.HasSuffix(js.Reference, "@"+idx.String()) || len(js.Files) != 3 {
		t.Errorf("--format json without --platform: want the index digest and 3 files: %v\n%s", err, stdout)
	}

	// Pulled again: everything is present, nothing is downloaded.
	stdout = verbsMust(t, "", "pull", "--plain-http", r.ref+":v1", "-o", out)
	if !strings.Contains(stdout, "Downloaded 0 blobs") || !strings.Contains(stdout, "Digest: "+idx.String()) {
		t.Errorf("second pull of the index: want nothing downloaded and the index digest:\n%s", stdout)
	}

	// The EO hooks need one manifest.
	verbsFail(t, 1, "", []string{"pull", "--plain-http", r.ref + ":v1", "--band", "B04", "-o", filepath.Join(dir, "eo")},
		"image index", "--platform")
}

// TestPullIndexRefusesBeforeWriting: without --platform, two manifests giving one title to
// different content, or a hostile title in any manifest, fail before any file is written.
func TestPullIndexRefusesBeforeWriting(t *testing.T) {
	r := newPullIndexRepo(t)
	a := r.artifact(&ocispec.Platform{OS: "linux", Architecture: "amd64"}, map[string]string{"a.txt": "a", "same.txt": "A"})
	b := r.artifact(&ocispec.Platform{OS: "linux", Architecture: "arm64"}, map[string]string{"b.txt": "b", "same.txt": "B"})
	evil := r.artifact(&ocispec.Platform{OS: "linux", Architecture: "arm64"}, map[string]string{"../escape.txt": "x"})
	r.index("clash", a, b)
	r.index("evil", a, evil)
	dir := t.TempDir()
	for tag, msg := range map[string]string{"clash": `"same.txt"`, "evil": "escape.txt"} {
		out := filepath.Join(dir, tag)
		verbsFail(t, 1, "", []string{"pull", "--plain-http", r.ref + ":" + tag, "-o", out}, msg)
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: refused pull created the output folder (%v)", tag, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "escape.txt")); !os.IsNotExist(err) {
		t.Errorf("hostile title wrote outside the output folder (%v)", err)
	}
	// With --platform the clash is not there: only one manifest is pulled.
	out := filepath.Join(dir, "arm64")
	verbsMust(t, "", "pull", "--plain-http", r.ref+":clash", "--platform", "linux/arm64", "-o", out)
	sameTree(t, "clash --platform linux/arm64", readTree(t, out), map[string]string{"b.txt": "b", "same.txt": "B"})
}

// TestPullPlatformOnManifest: on a plain manifest, --platform checks the platform of its image
// config (as ORAS does): a match pulls, a mismatch names both platforms, and a config that is
// not an image config is refused; nothing is written by a refused pull.
func TestPullPlatformOnManifest(t *testing.T) {
	r := newPullIndexRepo(t)
	cfg := r.push(ocispec.MediaTypeImageConfig, []byte(`{"os":"linux","architecture":"arm64","rootfs":{"type":"layers","diff_ids":[]}}`))
	layer := r.push("text/plain", []byte("arm64 data"))
	layer.Annotations = map[string]string{ocispec.AnnotationTitle: "data.txt"}
	raw, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest, Config: cfg, Layers: []ocispec.Descriptor{layer}})
	if _, err := oras.TagBytes(context.Background(), r.repo, ocispec.MediaTypeImageManifest, raw, "image"); err != nil {
		t.Fatal(err)
	}
	plain := r.artifact(nil, map[string]string{"x.txt": "x"}) // empty config
	if err := r.repo.Tag(context.Background(), plain, "plain"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	verbsMust(t, "", "pull", "--plain-http", r.ref+":image", "--platform", "linux/arm64", "-o", filepath.Join(dir, "ok"))
	sameTree(t, "matching --platform", readTree(t, filepath.Join(dir, "ok")), map[string]string{"data.txt": "arm64 data"})
	for _, c := range []struct{ tag, platform, msg string }{
		{"image", "linux/amd64", "is for linux/arm64, not for platform linux/amd64"},
		{"plain", "linux/arm64", "records no platform"},
	} {
		out := filepath.Join(dir, c.tag+"-"+strings.ReplaceAll(c.platform, "/", "-"))
		verbsFail(t, 1, "", []string{"pull", "--plain-http", r.ref + ":" + c.tag, "--platform", c.platform, "-o", out}, c.msg)
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s --platform %s: refused pull created the output folder (%v)", c.tag, c.platform, err)
		}
	}
}
