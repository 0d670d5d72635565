package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestCheckMediaType(t *testing.T) {
	for _, ok := range []string{"", "image/tiff", "application/geo+json", "application/vnd.oci.image.layer.v1.tar+gzip"} {
		if err := checkMediaType(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	err := checkMediaType("image/tiff; application=geotiff; profile=cloud-optimized")
	if err == nil || !strings.Contains(err.Error(), "OCI media types carry none") || !strings.Contains(err.Error(), `"image/tiff"`) {
		t.Fatalf("parameters: %v", err)
	}
	for _, bad := range []string{"tiff", "image/", "/tiff", "image/ti ff"} {
		if checkMediaType(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSplitFileRef(t *testing.T) {
	for in, want := range map[string][2]string{
		"a.tif":                 {"a.tif", ""},
		"data/a.tif:image/tiff": {"data/a.tif", "image/tiff"},
		"a:b.tif:image/tiff":    {"a:b.tif", "image/tiff"},
		"a.tif:":                {"a.tif", ""},
	} {
		p, mt, err := splitFileRef(in)
		if err != nil || p != want[0] || mt != want[1] {
			t.Errorf("splitFileRef(%q) = %q %q %v", in, p, mt, err)
		}
	}
	if _, _, err := splitFileRef(":image/tiff"); err == nil {
		t.Error("empty path accepted")
	}
}

func TestAnnotationFlags(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "ann.json")
	os.WriteFile(f, []byte(`{"$manifest":{"stac:id":"x"},"$config":{"c":"1"},"B04.tif":{"eo:band":"B04"}}`), 0o644)
	got, err := annotationFlags{file: f}.parse()
	if err != nil || got["$manifest"]["stac:id"] != "x" || got["B04.tif"]["eo:band"] != "B04" || got["$config"]["c"] != "1" {
		t.Fatalf("file: %v %v", got, err)
	}
	got, err = annotationFlags{pairs: []string{"a=b", "c=d=e"}}.parse()
	if err != nil || got["$manifest"]["a"] != "b" || got["$manifest"]["c"] != "d=e" {
		t.Fatalf("pairs: %v %v", got, err)
	}
	for _, bad := range []annotationFlags{{pairs: []string{"novalue"}}, {pairs: []string{"a=1", "a=2"}}, {pairs: []string{"a=1"}, file: f}} {
		if _, err := bad.parse(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestBuildManifest(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	in := &pushInputs{}
	b, err := buildManifest(in, true)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	json.Unmarshal(b, &m)
	if m.Config.Digest != ocispec.DescriptorEmptyJSON.Digest || len(m.Layers) != 1 || m.ArtifactType != mediaTypeUnknownArtifact || m.Annotations != nil {
		t.Fatalf("empty reproducible manifest: %s", b)
	}
	b2, _ := buildManifest(&pushInputs{}, true)
	if !bytes.Equal(b, b2) {
		t.Fatal("--reproducible manifests differ")
	}
	b3, _ := buildManifest(&pushInputs{}, false)
	if !strings.Contains(string(b3), ocispec.AnnotationCreated) {
		t.Fatalf("no creation time without --reproducible: %s", b3)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "0")
	b4, _ := buildManifest(&pushInputs{}, false)
	if !strings.Contains(string(b4), `"org.opencontainers.image.created":"1970-01-01T00:00:00Z"`) {
		t.Fatalf("SOURCE_DATE_EPOCH ignored: %s", b4)
	}
}

func TestFilePushInputsRefusesBadPaths(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.tif"), []byte("x"), 0o644)
	for _, fr := range []string{filepath.Join(dir, "a.tif"), "../a.tif", "missing.tif"} {
		if _, err := filePushInputs(context.Background(), &pushOptions{fileRefs: []string{fr}}); err == nil {
			t.Errorf("%q accepted", fr)
		}
	}
}
