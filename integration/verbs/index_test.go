package verbs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
	"github.com/eopack/eopack/stac"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// indexChildren pushes with ORAS, into repo (a registry repository, or with --oci-layout a
// layout folder), three children: a file artifact, one with an artifact type, and an image
// whose config names a platform.
func indexChildren(t *testing.T, e *cmdEnv, oras string, flags []string, repo string) {
	t.Helper()
	e.write(t, "a.txt", []byte("band a"))
	e.write(t, "b.txt", []byte("band b"))
	e.write(t, "cfg.json", []byte(`{"architecture":"arm64","os":"linux","variant":"v8","rootfs":{"type":"layers","diff_ids":[]}}`))
	e.must(t, oras, append([]string{"push", repo + ":a", "a.txt"}, flags...)...)
	e.must(t, oras, append([]string{"push", "--artifact-type", "application/x.b", repo + ":b", "b.txt"}, flags...)...)
	e.must(t, oras, append([]string{"push", "--config", "cfg.json:application/vnd.oci.image.config.v1+json", repo + ":img", "a.txt"}, flags...)...)
}

// sameError runs a failing call with both tools and requires the same message (after ORAS's
// "Error: " or "Error response from registry: " and eopack's "Error: ").
func sameError(t *testing.T, e *cmdEnv, eopack, oras string, orasFlags []string, args ...string) {
	t.Helper()
	o := e.fails(t, "", oras, append(append([]string{}, args...), orasFlags...))
	got := strings.TrimPrefix(strings.TrimSpace(e.fails(t, "", eopack, args)), "Error: ")
	o, _, _ = strings.Cut(o, "\n")
	want := strings.TrimPrefix(strings.TrimPrefix(o, "Error response from registry: "), "Error: ")
	if got != want {
		t.Errorf("eopack %s:\n  %s\noras:\n  %s", strings.Join(args, " "), got, want)
	}
}

// Index create and update on the distribution registry print what ORAS prints and push the
// same bytes (so the same digests); errors say what ORAS says.
func TestIndexMatchesOras(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/idx/test"
	indexChildren(t, e, oras, plain, repo)
	imgDigest := strings.TrimSpace(e.must(t, oras, "resolve", "--plain-http", repo+":img"))

	// ORAS runs first, then eopack with the same arguments: same output, same digest.
	out := sameOutput(t, e, eopack, oras, plain, "manifest", "index", "create", repo+":v1,v1.0", "a", "b", imgDigest, "-a", "k=v", "--artifact-type", "application/x.group")
	if !strings.Contains(out, "Tagged v1.0\n") || !strings.Contains(out, "Pushed    [registry] "+repo+":v1\n") {
		t.Errorf("create printed:\n%s", out)
	}
	raw := e.must(t, oras, "manifest", "fetch", "--plain-http", repo+":v1")
	if !strings.Contains(raw, `"platform":{"architecture":"arm64","os":"linux","variant":"v8"}`) || strings.Contains(raw, "stac:") {
		t.Errorf("index: %s", raw)
	}
	sameOutput(t, e, eopack, oras, plain, "manifest", "index", "create", repo, "a", "v1")
	sameOutput(t, e, eopack, oras, plain, "manifest", "index", "create", repo+":empty")
	sameOutput(t, e, eopack, oras, plain, "manifest", "index", "create", repo, "a", "b", "--output", "-")
	sameOutput(t, e, eopack, oras, plain, "manifest", "index", "pack", repo, "img", "--output", "-", "--pretty")

	// Updates by digest push by digest: each tool's run is the same operation.
	v1 := strings.TrimSpace(e.must(t, oras, "resolve", "--plain-http", repo+":v1"))
	bDigest := strings.TrimSpace(e.must(t, oras, "resolve", "--plain-http", repo+":b"))
	sameOutput(t, e, eopack, oras, plain, "manifest", "index", "update", repo+"@"+v1, "--add", "a", "--remove", bDigest, "--merge", "empty", "--artifact-type", "application/x.new")
	sameOutput(t, e, eopack, oras, plain, "manifest", "index", "update", repo+"@"+v1, "--merge", "v1", "--artifact-type=")
	sameOutput(t, e, eopack, oras, plain, "manifest", "index", "update", repo+"@"+v1, "--remove", imgDigest, "--output", "-", "--pretty")
	sameOutput(t, e, eopack, oras, plain, "manifest", "index", "update", repo+":v1")

	// An update by tag moves the tag: each tool updates its own tag of the same index.
	e.must(t, oras, "tag", "--plain-http", repo+":v1", "by-oras", "by-eopack")
	o := e.must(t, oras, "manifest", "index", "update", "--plain-http", repo+":by-oras", "--add", "b", "--tag", "x-oras")
	got := e.must(t, eopack, "manifest", "index", "update", repo+":by-eopack", "--add", "b", "--tag", "x-eopack")
	if want := strings.NewReplacer("by-oras", "by-eopack", "x-oras", "x-eopack").Replace(o); got != want {
		t.Errorf("update by tag:\n%s\noras:\n%s", got, want)
	}
	for _, tag := range []string{"by-oras", "x-oras"} {
		if a, b := e.must(t, oras, "resolve", "--plain-http", repo+":"+tag), e.must(t, oras, "resolve", "--plain-http", repo+":"+strings.Replace(tag, "oras", "eopack", 1)); a != b {
			t.Errorf("%s resolves to %s, eopack's tag to %s", tag, a, b)
		}
	}

	// --format json (eopack's; ORAS 1.3.6 has none): the descriptor ORAS resolves.
	var js struct{ Reference, Digest string }
	json.Unmarshal([]byte(e.must(t, eopack, "manifest", "index", "create", "--format", "json", repo+":js", "a")), &js)
	if d := strings.TrimSpace(e.must(t, oras, "resolve", "--plain-http", repo+":js")); js.Digest != d || js.Reference != repo+"@"+d {
		t.Errorf("--format json: %+v, oras resolves %s", js, d)
	}

	zero := "sha256:" + strings.Repeat("0", 64)
	sameError(t, e, eopack, oras, plain, "manifest", "index", "create", repo+":bad", "a", "nope")
	sameError(t, e, eopack, oras, plain, "manifest", "index", "create", repo+":bad", zero)
	sameError(t, e, eopack, oras, plain, "manifest", "index", "create", repo, "a", "--artifact-type", "bad type")
	sameError(t, e, eopack, oras, plain, "manifest", "index", "update", repo+":v1", "--remove", zero)
	sameError(t, e, eopack, oras, plain, "manifest", "index", "update", repo+":v1", "--remove", "a")
	sameError(t, e, eopack, oras, plain, "manifest", "index", "update", repo+":v1", "--merge", "a")
	sameError(t, e, eopack, oras, plain, "manifest", "index", "update", repo+":a", "--add", "b")
	sameError(t, e, eopack, oras, plain, "manifest", "index", "update", repo+":nope", "--add", "b")
	sameError(t, e, eopack, oras, plain, "manifest", "index", "update", repo+":v1", "--add", "nope")
	sameError(t, e, eopack, oras, plain, "manifest", "index", "update", repo+":v1", "--add", "b", "--tag", "t", "--output", "-")
}

// On an OCI layout, each tool works on its own copy of the same layout: same output.
func TestIndexOnLayoutMatchesOras(t *testing.T) {
	eopack, oras := peers(t)
	eo, ee := newEnv(t), newEnv(t)
	indexChildren(t, eo, oras, []string{"--oci-layout"}, "lay")
	copyTree(t, filepath.Join(eo.dir, "lay"), filepath.Join(ee.dir, "lay"))
	both := func(args ...string) {
		t.Helper()
		if got, want := ee.must(t, eopack, args...), eo.must(t, oras, args...); got != want {
			t.Errorf("eopack %s:\n%s\noras:\n%s", strings.Join(args, " "), got, want)
		}
	}
	both("manifest", "index", "create", "--oci-layout", "lay:v1,v1.0", "a", "b", "img", "-a", "k=v")
	both("manifest", "index", "create", "--oci-layout", "lay:v2", "a")
	both("manifest", "index", "update", "--oci-layout", "lay:v1", "--add", "a", "--merge", "v2", "--tag", "v3")
	both("manifest", "index", "update", "--oci-layout", "lay:v1", "--output", "-", "--artifact-type", "application/x.new")
	both("manifest", "fetch", "--oci-layout", "lay:v3")
	// ORAS reads the index eopack wrote.
	if got, want := eo.must(t, oras, "manifest", "fetch", "--oci-layout", filepath.Join(ee.dir, "lay")+":v1"), eo.must(t, oras, "manifest", "fetch", "--oci-layout", "lay:v1"); got != want {
		t.Errorf("oras reads eopack's index as\n%s\nwant\n%s", got, want)
	}
	for _, args := range [][]string{
		{"manifest", "index", "create", "--oci-layout", "lay:bad", "a", "nope"},
		{"manifest", "index", "update", "--oci-layout", "lay:v1", "--merge", "a"},
		{"manifest", "index", "update", "--oci-layout", "lay:v1", "--remove", "sha256:" + strings.Repeat("0", 64)},
	} {
		want := strings.TrimPrefix(strings.TrimSpace(eo.fails(t, "", oras, args)), "Error: ")
		ee.fails(t, "", eopack, args, strings.TrimSuffix(want, ": not found"))
	}
}

// An index of two EO products pushed with --stac gets their union bbox and time range; it is
// ORAS's index plus those annotations.
func TestIndexOfEOProducts(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/products"
	products := []struct{ file, tag, datetime string }{
		{"L7_ETMs.tif", "l7", "2001-06-01T12:57:00Z"},
		{"olinda_dem_utm25s.tif", "dem", "2000-02-11T00:00:00Z"},
	}
	var boxes [][]float64
	for _, p := range products {
		b, err := os.ReadFile(filepath.Join(testpeer.SharedDir(), "data", p.file))
		if err != nil {
			t.Fatal(err)
		}
		e.write(t, filepath.Join(p.tag, p.file), b)
		dir := filepath.Join(e.dir, p.tag)
		testpeer.Run(t, dir, eopack, "stac", "create", "-o", "item.json", "--datetime", p.datetime, p.file)
		testpeer.Run(t, dir, eopack, "push", repo+":"+p.tag, "--stac", "item.json")
		var item struct{ BBox []float64 }
		ib, _ := os.ReadFile(filepath.Join(dir, "item.json"))
		json.Unmarshal(ib, &item)
		boxes = append(boxes, item.BBox)
	}
	e.must(t, eopack, "manifest", "index", "create", repo+":group", "l7", "dem")
	e.must(t, oras, "manifest", "index", "create", "--plain-http", repo+":oras-group", "l7", "dem")

	var idx ocispec.Index
	raw := e.must(t, oras, "manifest", "fetch", "--plain-http", repo+":group")
	if err := json.Unmarshal([]byte(raw), &idx); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		stac.AnnotationBBox:          stac.FormatBBox(stac.UnionBBox(boxes)),
		stac.AnnotationStartDatetime: "2000-02-11T00:00:00Z",
		stac.AnnotationEndDatetime:   "2001-06-01T12:57:00Z",
	}
	if len(idx.Annotations) != len(want) {
		t.Errorf("annotations %v, want %v", idx.Annotations, want)
	}
	for k, v := range want {
		if idx.Annotations[k] != v {
			t.Errorf("%s = %q, want %q", k, idx.Annotations[k], v)
		}
	}
	if u := stac.UnionBBox(boxes); u[0] != min(boxes[0][0], boxes[1][0]) || u[3] != max(boxes[0][3], boxes[1][3]) {
		t.Errorf("union bbox %v of %v", u, boxes)
	}
	idx.Annotations = nil
	plainIdx, _ := json.Marshal(idx)
	if orasRaw := e.must(t, oras, "manifest", "fetch", "--plain-http", repo+":oras-group"); string(plainIdx) != orasRaw {
		t.Errorf("without its stac:* annotations the index is\n%s\nORAS's is\n%s", plainIdx, orasRaw)
	}
	// inspect shows the group: the union bbox, the datetime range and both children.
	insp := e.must(t, eopack, "inspect", repo+":group")
	for _, w := range []string{"BBox:", stac.FormatBBox(stac.UnionBBox(boxes)), "2000-02-11T00:00:00Z/2001-06-01T12:57:00Z", "Manifests:  2"} {
		if !strings.Contains(insp, w) {
			t.Errorf("inspect of the index lacks %q:\n%s", w, insp)
		}
	}
	// Removing a product leaves that product's extent.
	dem := strings.TrimSpace(e.must(t, oras, "resolve", "--plain-http", repo+":dem"))
	out := e.must(t, eopack, "manifest", "index", "update", repo+":group", "--remove", dem, "--format", "json")
	if !strings.Contains(out, `"stac:start_datetime": "2001-06-01T12:57:00Z"`) || !strings.Contains(out, `"stac:bbox": "`+stac.FormatBBox(boxes[0])+`"`) {
		t.Errorf("update --remove: %s", out)
	}
}

// copyTree copies a folder of regular files.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
