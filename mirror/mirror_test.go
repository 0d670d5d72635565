package mirror

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry"

	eoregistry "github.com/eopack/eopack/registry"
	"github.com/eopack/eopack/target"
)

// startRegistry serves the project's registry on httptest; with noCatalog, /v2/_catalog
// answers 404 as on registries that switch it off.
func startRegistry(t *testing.T, noCatalog bool) string {
	t.Helper()
	fs, err := eoregistry.Open(t.Context(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	h := eoregistry.New(fs, eoregistry.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if noCatalog && r.URL.Path == "/v2/_catalog" {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func openSide(t *testing.T, r target.Ref) oras.GraphTarget {
	t.Helper()
	g, err := target.Open(t.Context(), r, target.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// put stores a one-layer artifact tagged tag in dst.
func put(t *testing.T, dst oras.Target, tag, data string) ocispec.Descriptor {
	t.Helper()
	ctx := t.Context()
	layer, err := oras.PushBytes(ctx, dst, "application/octet-stream", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	root, err := oras.PackManifest(ctx, dst, oras.PackManifestVersion1_1, "application/x.test",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.Tag(ctx, root, tag); err != nil {
		t.Fatal(err)
	}
	return root
}

func tags(t *testing.T, g oras.ReadOnlyTarget) []string {
	t.Helper()
	got, err := registry.Tags(t.Context(), g.(registry.TagLister))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

// Without a catalog, a source naming a repository is mirrored as that repository, with a
// warning; without a prefix there is nothing to mirror from and Run says so.
func TestRunWithoutCatalog(t *testing.T) {
	host := startRegistry(t, true)
	src := target.Ref{Registry: host, Repository: "eo/a"}
	g := openSide(t, src)
	put(t, g, "v1", "one")
	put(t, g, "v2", "two")
	lay := target.Ref{Layout: true, Path: filepath.Join(t.TempDir(), "lay")}
	var warnings []string
	rep, err := Run(t.Context(), Side{Ref: src}, Side{Ref: lay}, Options{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "mirroring "+host+"/eo/a as one repository") {
		t.Errorf("warnings %q", warnings)
	}
	if rep.Tags != 2 || len(rep.Failures) != 0 {
		t.Errorf("report: %d tags, failures %q", rep.Tags, rep.Failures)
	}
	if got := tags(t, openSide(t, lay)); !slices.Equal(got, []string{"eo/a:v1", "eo/a:v2"}) {
		t.Errorf("layout tags %q", got)
	}
	if _, err := Run(t.Context(), Side{Ref: target.Ref{Registry: host}}, Side{Ref: lay}, Options{}); err == nil || !strings.Contains(err.Error(), "listing the repositories of "+host) {
		t.Errorf("whole registry without catalog: %v", err)
	}
}

// A layout with bare tags (ORAS's backup form) goes to the destination repository itself; to
// a bare registry host it has nowhere to go, which is a failure of that tag, not of the run.
func TestRunLayoutBareTags(t *testing.T) {
	host := startRegistry(t, false)
	lay := target.Ref{Layout: true, Path: filepath.Join(t.TempDir(), "lay")}
	g := openSide(t, lay)
	v1 := put(t, g, "v1", "one")
	put(t, g, "eo/b:v1", "two")
	rep, err := Run(t.Context(), Side{Ref: lay}, Side{Ref: target.Ref{Registry: host, Repository: "x"}}, Options{Concurrency: 3})
	if err != nil || rep.Tags != 2 || len(rep.Failures) != 0 {
		t.Fatalf("layout → host/x: %v, %+v", err, rep)
	}
	d, err := openSide(t, target.Ref{Registry: host, Repository: "x"}).Resolve(t.Context(), "v1")
	if err != nil || d.Digest != v1.Digest {
		t.Errorf("x:v1 = %v, %v; want %s", d.Digest, err, v1.Digest)
	}
	if got := tags(t, openSide(t, target.Ref{Registry: host, Repository: "x/eo/b"})); !slices.Equal(got, []string{"v1"}) {
		t.Errorf("x/eo/b tags %q", got)
	}
	rep, err = Run(context.Background(), Side{Ref: lay}, Side{Ref: target.Ref{Registry: host}}, Options{})
	if err != nil || rep.Tags != 1 || len(rep.Failures) != 1 || !strings.Contains(rep.Failures[0], "no destination repository") {
		t.Errorf("layout → bare host: %v, %d tags, failures %q", err, rep.Tags, rep.Failures)
	}
	if rep.Err() == nil {
		t.Error("a failure must make Err non-nil")
	}
}
