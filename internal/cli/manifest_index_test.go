package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// indexSeed pushes into repo (flags: --oci-layout or none) a manifest tagged tag with one layer
// (blob), the given config (nil: the empty config) and manifest annotations; it returns the
// manifest's descriptor as an index lists it without a platform.
func indexSeed(t *testing.T, flags []string, repo, tag string, blob, config []byte, ann map[string]string) ocispec.Descriptor {
	t.Helper()
	dir := t.TempDir()
	cfg, artifactType := ocispec.DescriptorEmptyJSON, "application/vnd.eopack.test.v1"
	cfg.Data = nil
	if config == nil {
		config = []byte("{}")
	} else { // an image
		cfg = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(config), Size: int64(len(config))}
		artifactType = ""
	}
	for name, b := range map[string][]byte{"layer": blob, "config.json": config} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		verbsMust(t, "", append([]string{"blob", "push", repo, p}, flags...)...)
	}
	m := ocispec.Manifest{
		MediaType: ocispec.MediaTypeImageManifest, ArtifactType: artifactType, Config: cfg,
		Layers:      []ocispec.Descriptor{{MediaType: "image/tiff", Digest: digest.FromBytes(blob), Size: int64(len(blob))}},
		Annotations: ann,
	}
	m.SchemaVersion = 2
	raw, _ := json.Marshal(m)
	p := filepath.Join(dir, "manifest.json")
	os.WriteFile(p, raw, 0o644)
	verbsMust(t, "", append([]string{"manifest", "push", repo + ":" + tag, p}, flags...)...)
	return ocispec.Descriptor{MediaType: m.MediaType, Digest: digest.FromBytes(raw), Size: int64(len(raw)), ArtifactType: m.ArtifactType}
}

// indexJSON is the index ORAS writes for children and annotations.
func indexJSON(t *testing.T, artifactType string, children []ocispec.Descriptor, ann map[string]string) string {
	t.Helper()
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, ArtifactType: artifactType, Manifests: children, Annotations: ann}
	idx.SchemaVersion = 2
	b, err := json.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIndexCreateAndUpdateOnLayout(t *testing.T) {
	lay := filepath.Join(t.TempDir(), "lay")
	L := []string{"--oci-layout"}
	a := indexSeed(t, L, lay, "a", []byte("band a"), nil, nil)
	b := indexSeed(t, L, lay, "b", []byte("band b"), nil, nil)
	img := indexSeed(t, L, lay, "img", []byte("band c"), []byte(`{"architecture":"arm64","os":"linux","variant":"v8","rootfs":{"type":"layers","diff_ids":[]}}`), nil)
	img.Platform = &ocispec.Platform{Architecture: "arm64", OS: "linux", Variant: "v8"}

	want := indexJSON(t, "application/x.group", []ocispec.Descriptor{a, b, img}, map[string]string{"k": "v"})
	wd := digest.FromString(want)
	out := verbsMust(t, "", verbsLayoutArgs("manifest", "index", "create", "-a", "k=v", "--artifact-type", "application/x.group", lay+":i1,x1", "a", b.Digest.String(), "img")...)
	wantOut := "Fetching  a\nFetched   " + a.Digest.String() + " a\n" +
		"Fetching  " + b.Digest.String() + "\nFetched   " + b.Digest.String() + "\n" +
		"Fetching  img\nFetched   " + img.Digest.String() + " img\n" +
		"Packed    " + wd.Encoded()[:12] + " application/vnd.oci.image.index.v1+json\n" +
		"Pushed    [oci-layout] " + lay + ":i1\nTagged x1\nDigest: " + wd.String() + "\n"
	if out != wantOut {
		t.Errorf("create printed:\n%s\nwant:\n%s", out, wantOut)
	}
	if got := verbsMust(t, "", verbsLayoutArgs("manifest", "fetch", lay+":x1")...); got != want {
		t.Errorf("index:\n%s\nwant:\n%s", got, want)
	}
	if got := verbsMust(t, "", verbsLayoutArgs("manifest", "index", "create", "--output", "-", lay, "a")...); got != indexJSON(t, "", []ocispec.Descriptor{a}, nil) {
		t.Errorf("create --output - = %s", got)
	}
	file := filepath.Join(t.TempDir(), "index.json")
	out = verbsMust(t, "", verbsLayoutArgs("manifest", "index", "create", "--output", file, "--pretty", lay+":never", "a")...)
	if b, _ := os.ReadFile(file); string(b) != indexJSON(t, "", []ocispec.Descriptor{a}, nil) || strings.Contains(out, "Pushed") {
		t.Errorf("create --output FILE wrote %s and printed\n%s", b, out)
	}
	verbsFail(t, 1, "", verbsLayoutArgs("resolve", lay+":never"), "not found")
	var js struct {
		Reference       string   `json:"reference"`
		Digest          string   `json:"digest"`
		ReferenceAsTags []string `json:"referenceAsTags"`
	}
	json.Unmarshal([]byte(verbsMust(t, "", verbsLayoutArgs("manifest", "index", "create", "--format", "json", lay+":j", "a")...)), &js)
	if js.Reference != lay+"@"+js.Digest || len(js.ReferenceAsTags) != 1 || js.ReferenceAsTags[0] != lay+":j" {
		t.Errorf("create --format json = %+v", js)
	}

	// Update: remove, add, merge in that order; the tag moves; --tag adds one.
	want = indexJSON(t, "", []ocispec.Descriptor{a, img, b, a}, map[string]string{"k": "v"})
	wd = digest.FromString(want)
	out = verbsMust(t, "", verbsLayoutArgs("manifest", "index", "update", lay+":i1", "--artifact-type=", "--merge", "j", "--add", "b", "--remove", b.Digest.String(), "--tag", "u2")...)
	wantOut = "Fetching  i1\nFetched   " + digest.FromString(indexJSON(t, "application/x.group", []ocispec.Descriptor{a, b, img}, map[string]string{"k": "v"})).String() + " i1\n" +
		"Removed   " + b.Digest.String() + "\n" +
		"Fetching  b\nFetched   " + b.Digest.String() + " b\nAdded     " + b.Digest.String() + " b\n" +
		"Fetching  j\nFetched   " + js.Digest + " j\nMerged    " + js.Digest + " j\n" +
		"Updated   " + wd.String() + "\nPushed    [oci-layout] " + lay + ":i1\nTagged u2\nDigest: " + wd.String() + "\n"
	if out != wantOut {
		t.Errorf("update printed:\n%s\nwant:\n%s", out, wantOut)
	}
	for _, tag := range []string{"i1", "u2"} {
		if got := verbsMust(t, "", verbsLayoutArgs("manifest", "fetch", lay+":"+tag)...); got != want {
			t.Errorf("%s after update:\n%s\nwant:\n%s", tag, got, want)
		}
	}
	out = verbsMust(t, "", verbsLayoutArgs("manifest", "index", "update", lay+"@"+wd.String(), "--remove", a.Digest.String())...)
	if !strings.Contains(out, "Pushed    [oci-layout] "+lay+"\n") {
		t.Errorf("update by digest printed:\n%s", out)
	}
	if out := verbsMust(t, "", verbsLayoutArgs("manifest", "index", "update", lay+":i1")...); out != "Nothing to update as no change is requested\n" {
		t.Errorf("update without changes printed %q", out)
	}

	// Errors, as ORAS words them.
	zero := "sha256:" + strings.Repeat("0", 64)
	verbsFail(t, 1, "", verbsLayoutArgs("manifest", "index", "create", lay+":bad", "a", "nope"), "could not find the manifest nope", "not found")
	verbsFail(t, 2, "", verbsLayoutArgs("manifest", "index", "create", "--artifact-type", "bad type", lay, "a"), "bad type: invalid media type")
	verbsFail(t, 1, "", verbsLayoutArgs("manifest", "index", "update", lay+":i1", "--remove", zero), zero+" does not exist in the index i1")
	verbsFail(t, 2, "", verbsLayoutArgs("manifest", "index", "update", lay+":i1", "--remove", "a"), "remove: a is not a digest")
	verbsFail(t, 1, "", verbsLayoutArgs("manifest", "index", "update", lay+":i1", "--merge", "a"), "a is not an index")
	verbsFail(t, 1, "", verbsLayoutArgs("manifest", "index", "update", lay+":a", "--add", "b"), "a is not an index")
	verbsFail(t, 1, "", verbsLayoutArgs("manifest", "index", "update", lay+":nope", "--add", "b"), "could not find the index nope")
	verbsFail(t, 2, "", verbsLayoutArgs("manifest", "index", "update", lay+":i1", "--add", "b", "--tag", "x", "--output", "-"), "--tag, --output cannot be used at the same time")
	verbsFail(t, 2, "", verbsLayoutArgs("manifest", "index", "update", lay, "--add", "b"), "no tag or digest")
	verbsFail(t, 2, "", verbsLayoutArgs("manifest", "index", "create", "--format", "json", "--output", "-", lay, "a"), "--output -")
}

func TestIndexEOSummary(t *testing.T) {
	repo := verbsRegistry(t, nil) + "/eo/products"
	l7 := indexSeed(t, nil, repo, "l7", []byte("l7"), nil, map[string]string{
		"stac:id": "L7", "stac:collection": "landsat", "stac:datetime": "2001-06-01T12:57:00Z", "stac:bbox": "-35,-8.1,-34.8,-7.9"})
	dem := indexSeed(t, nil, repo, "dem", []byte("dem"), nil, map[string]string{
		"stac:id": "dem", "stac:collection": "landsat", "stac:datetime": "2000-02-11T00:00:00Z", "stac:bbox": "-34.9,-8.2,-34.7,-8"})
	plain := indexSeed(t, nil, repo, "plain", []byte("plain"), nil, nil)

	verbsMust(t, "", "manifest", "index", "create", repo+":group", "l7", "dem", "plain")
	both := map[string]string{"stac:bbox": "-35,-8.2,-34.7,-7.9", "stac:collection": "landsat",
		"stac:start_datetime": "2000-02-11T00:00:00Z", "stac:end_datetime": "2001-06-01T12:57:00Z"}
	if got, want := verbsMust(t, "", "manifest", "fetch", repo+":group"), indexJSON(t, "", []ocispec.Descriptor{l7, dem, plain}, both); got != want {
		t.Errorf("EO index:\n%s\nwant:\n%s", got, want)
	}
	// -a wins over the summary.
	got := verbsMust(t, "", "manifest", "index", "create", "--output", "-", "-a", "stac:collection=mine", repo, "l7", "dem")
	if !strings.Contains(got, `"stac:collection":"mine"`) {
		t.Errorf("-a stac:collection lost: %s", got)
	}
	// Removing a product recomputes the summary from the children left.
	verbsMust(t, "", "manifest", "index", "update", repo+":group", "--remove", dem.Digest.String())
	one := map[string]string{"stac:bbox": "-35,-8.1,-34.8,-7.9", "stac:collection": "landsat",
		"stac:start_datetime": "2001-06-01T12:57:00Z", "stac:end_datetime": "2001-06-01T12:57:00Z"}
	if got, want := verbsMust(t, "", "manifest", "fetch", repo+":group"), indexJSON(t, "", []ocispec.Descriptor{l7, plain}, one); got != want {
		t.Errorf("after --remove:\n%s\nwant:\n%s", got, want)
	}
	verbsMust(t, "", "manifest", "index", "update", repo+":group", "--remove", l7.Digest.String())
	if got, want := verbsMust(t, "", "manifest", "fetch", repo+":group"), indexJSON(t, "", []ocispec.Descriptor{plain}, nil); got != want {
		t.Errorf("no EO child left:\n%s\nwant:\n%s", got, want)
	}
	// Adding a product to a plain index gives it the summary.
	verbsMust(t, "", "manifest", "index", "update", repo+":group", "--add", "l7")
	if got, want := verbsMust(t, "", "manifest", "fetch", repo+":group"), indexJSON(t, "", []ocispec.Descriptor{plain, l7}, one); got != want {
		t.Errorf("after --add:\n%s\nwant:\n%s", got, want)
	}
}
