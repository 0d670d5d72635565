package progress

import (
	"bytes"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func blob(title string, size int64) ocispec.Descriptor {
	d := ocispec.Descriptor{MediaType: "image/tiff", Digest: digest.FromString(title), Size: size}
	if title != "" {
		d.Annotations = map[string]string{ocispec.AnnotationTitle: title}
	}
	return d
}

// TestPlainLines: a start line, a done line, a printed line; counts draw nothing.
func TestPlainLines(t *testing.T) {
	var out bytes.Buffer
	p := NewPlain(&out)
	a, b := blob("B04.tif", 10), blob("", 2)
	p.Plan(a, b)
	bar := p.Start("Uploading", a)
	bar.Add(10)
	bar.Done("Uploaded ")
	p.Start("Downloading", b)
	p.Unplan(b)
	p.Print("Pushed 1 blobs")
	p.Close()
	want := "Uploading " + a.Digest.Encoded()[:12] + " B04.tif\n" +
		"Uploaded  " + a.Digest.Encoded()[:12] + " B04.tif\n" +
		"Downloading " + b.Digest.Encoded()[:12] + " image/tiff\n" +
		"Pushed 1 blobs\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
