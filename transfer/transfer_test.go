package transfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	eoregistry "github.com/eopack/eopack/registry"
	"github.com/eopack/eopack/target"
	"github.com/eopack/eopack/transfer"
)

// artifact builds a small artifact (two layers, empty config, optional subject) in a Source.
func artifact(t *testing.T, subject *ocispec.Descriptor, payload ...string) (*transfer.Source, ocispec.Descriptor) {
	t.Helper()
	src := transfer.NewSource(nil)
	var layers []ocispec.Descriptor
	for i, p := range payload {
		d := content.NewDescriptorFromBytes("image/tiff", []byte(p))
		d.Annotations = map[string]string{ocispec.AnnotationTitle: "b" + string(rune('0'+i)) + ".tif"}
		src.AddBytes(d, []byte(p))
		layers = append(layers, d)
	}
	src.AddBytes(ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: "application/vnd.test", Config: ocispec.DescriptorEmptyJSON, Layers: layers, Subject: subject}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	md := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, b)
	md.ArtifactType = m.ArtifactType
	src.AddBytes(md, b)
	return src, md
}

func startRegistry(t *testing.T) string {
	t.Helper()
	fs, err := eoregistry.Open(t.Context(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	srv := httptest.NewServer(eoregistry.New(fs, eoregistry.Options{}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func open(t *testing.T, s string, layout bool) oras.GraphTarget {
	t.Helper()
	r, err := target.Parse(s, layout)
	if err != nil {
		t.Fatal(err)
	}
	g, err := target.Open(context.Background(), r, target.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestLayoutRegistryLayoutRoundTripAndDedup(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	l1 := open(t, t.TempDir()+"/l1", true)
	src, md := artifact(t, nil, "band four", "band eight")
	st := &transfer.Stats{}
	if err := transfer.CopyRoot(ctx, src, md, l1, "eo/products:v1", transfer.Options{Stats: st}); err != nil {
		t.Fatal(err)
	}
	if st.Sent.Load() != 3 || st.Manifests.Load() != 1 {
		t.Fatalf("push: %s, manifests %d", st.Summary("Pushed"), st.Manifests.Load())
	}
	reg := open(t, host+"/eo/products", false)
	st = &transfer.Stats{}
	root, err := transfer.Copy(ctx, l1, "eo/products:v1", reg, "v1", transfer.Options{Stats: st})
	if err != nil {
		t.Fatal(err)
	}
	if root.Digest != md.Digest || st.SentBytes.Load() != int64(len("band four")+len("band eight")+2) {
		t.Fatalf("copy to registry: root %s, %s", root.Digest, st.Summary("Copied"))
	}
	// second copy sends no blob bytes
	st = &transfer.Stats{}
	if _, err := transfer.Copy(ctx, l1, "eo/products:v1", reg, "v1", transfer.Options{Stats: st}); err != nil {
		t.Fatal(err)
	}
	if err := transfer.ReconcileRoot(ctx, l1, md, st); err != nil {
		t.Fatal(err)
	}
	if st.SentBytes.Load() != 0 || st.Skipped.Load() != 3 {
		t.Fatalf("second copy: %s", st.Summary("Copied"))
	}
	l2 := open(t, t.TempDir()+"/l2", true)
	if _, err := transfer.Copy(ctx, reg, "v1", l2, "eo/products:v1", transfer.Options{}); err != nil {
		t.Fatal(err)
	}
	want, _ := content.FetchAll(ctx, src, md)
	d2, err := l2.Resolve(ctx, "eo/products:v1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := content.FetchAll(ctx, l2, d2)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("manifest changed on the way: %v", err)
	}
}

func TestMountAcrossRepositories(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	a, b := open(t, host+"/eo/a", false), open(t, host+"/eo/b", false)
	src, md := artifact(t, nil, "some band")
	if err := transfer.CopyRoot(ctx, src, md, a, "v1", transfer.Options{}); err != nil {
		t.Fatal(err)
	}
	st := &transfer.Stats{}
	if _, err := transfer.Copy(ctx, a, "v1", b, "v1", transfer.Options{Stats: st}); err != nil {
		t.Fatal(err)
	}
	if st.Mounted.Load() != 2 || st.SentBytes.Load() != 0 {
		t.Fatalf("want 2 mounted blobs, got %s", st.Summary("Copied"))
	}
}

func TestReferrersComeAlong(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t)
	l := open(t, t.TempDir()+"/l", true)
	src, md := artifact(t, nil, "band")
	if err := transfer.CopyRoot(ctx, src, md, l, "v1", transfer.Options{}); err != nil {
		t.Fatal(err)
	}
	subj := ocispec.Descriptor{MediaType: md.MediaType, Digest: md.Digest, Size: md.Size}
	rsrc, rmd := artifact(t, &subj, "signature")
	if err := transfer.CopyRoot(ctx, rsrc, rmd, l, "", transfer.Options{}); err != nil {
		t.Fatal(err)
	}
	reg := open(t, host+"/eo/products", false)
	if _, err := transfer.Copy(ctx, l, "v1", reg, "v1", transfer.Options{Referrers: true}); err != nil {
		t.Fatal(err)
	}
	refs, err := registry.Referrers(ctx, reg, subj, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].Digest != rmd.Digest {
		t.Fatalf("referrers at destination = %v, want %s", refs, rmd.Digest)
	}
	// without -r the referrer stays behind
	reg2 := open(t, host+"/eo/other", false)
	if _, err := transfer.Copy(ctx, l, "v1", reg2, "v1", transfer.Options{}); err != nil {
		t.Fatal(err)
	}
	if refs, _ := registry.Referrers(ctx, reg2, subj, ""); len(refs) != 0 {
		t.Fatalf("referrers copied without -r: %v", refs)
	}
}

func TestSourceServesOnlyWhatItHolds(t *testing.T) {
	src, md := artifact(t, nil, "x")
	if ok, _ := src.Exists(context.Background(), md); !ok {
		t.Fatal("manifest missing")
	}
	other := content.NewDescriptorFromBytes("a/b", []byte("nope"))
	if _, err := src.Fetch(context.Background(), other); err == nil {
		t.Fatal("fetched unknown blob")
	}
	rc, err := src.Fetch(context.Background(), md)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); len(b) != int(md.Size) {
		t.Fatalf("manifest bytes %d", len(b))
	}
}

func TestCopyByDigestLeavesNoTag(t *testing.T) {
	ctx := context.Background()
	l1 := open(t, t.TempDir()+"/l1", true)
	src, md := artifact(t, nil, "band")
	if err := transfer.CopyRoot(ctx, src, md, l1, "v1", transfer.Options{}); err != nil {
		t.Fatal(err)
	}
	l2 := open(t, t.TempDir()+"/l2", true)
	root, err := transfer.Copy(ctx, l1, md.Digest.String(), l2, md.Digest.String(), transfer.Options{})
	if err != nil || root.Digest != md.Digest {
		t.Fatalf("copy by digest: %v %v", root.Digest, err)
	}
	if ok, _ := l2.Exists(ctx, md); !ok {
		t.Fatal("manifest not copied")
	}
	var tags []string
	l2.(registry.TagLister).Tags(ctx, "", func(ts []string) error { tags = append(tags, ts...); return nil })
	if len(tags) != 0 {
		t.Fatalf("tags at destination: %v", tags)
	}
	if _, err := transfer.Copy(ctx, l1, "v1", l2, "sha256:"+strings.Repeat("0", 64), transfer.Options{}); err == nil {
		t.Fatal("copy to a digest the source does not resolve to succeeded")
	}
}

// An index whose two manifests name the same bytes under different media types: oras-go
// keys graph nodes by media type too, so without one claim per digest the band would be
// uploaded twice, concurrently.
func TestSharedBlobSentOnce(t *testing.T) {
	ctx := context.Background()
	fs, err := eoregistry.Open(t.Context(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	uploads := map[string]int{}
	var mu sync.Mutex
	h := eoregistry.New(fs, eoregistry.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// an upload's bytes come with its digest: one POST, or a PUT closing a session
		if d := r.URL.Query().Get("digest"); (r.Method == http.MethodPut || r.Method == http.MethodPost) && d != "" {
			mu.Lock()
			uploads[d]++
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	band := []byte("the same band, named twice")
	src := transfer.NewSource(nil)
	src.AddBytes(ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
	var children []ocispec.Descriptor
	for _, mt := range []string{"image/tiff", "application/octet-stream"} {
		layer := content.NewDescriptorFromBytes(mt, band)
		src.AddBytes(layer, band)
		b, err := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: ocispec.MediaTypeImageManifest, ArtifactType: "application/vnd.test",
			Config: ocispec.DescriptorEmptyJSON, Layers: []ocispec.Descriptor{layer}})
		if err != nil {
			t.Fatal(err)
		}
		md := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, b)
		src.AddBytes(md, b)
		children = append(children, md)
	}
	ib, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex, Manifests: children})
	if err != nil {
		t.Fatal(err)
	}
	idx := content.NewDescriptorFromBytes(ocispec.MediaTypeImageIndex, ib)
	src.AddBytes(idx, ib)

	st := &transfer.Stats{}
	dst := open(t, host+"/eo/shared", false)
	if err := transfer.CopyRoot(ctx, src, idx, dst, "v1", transfer.Options{Concurrency: 8, Stats: st}); err != nil {
		t.Fatal(err)
	}
	bd := content.NewDescriptorFromBytes("", band).Digest.String()
	if uploads[bd] != 1 {
		t.Errorf("the shared band was uploaded %d times, want once (uploads %v)", uploads[bd], uploads)
	}
	if st.Sent.Load() != 2 || st.SentBytes.Load() != int64(len(band))+2 {
		t.Errorf("stats: sent %d blobs (%d bytes), want 2 (the band and the empty config)", st.Sent.Load(), st.SentBytes.Load())
	}
	for _, c := range children {
		if _, err := oras.Resolve(ctx, dst, c.Digest.String(), oras.DefaultResolveOptions); err != nil {
			t.Errorf("child manifest %s not at the destination: %v", c.Digest, err)
		}
	}
}
