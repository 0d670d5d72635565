package probe

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var acceptManifests = http.Header{"Accept": {ocispec.MediaTypeImageManifest + ", " + ocispec.MediaTypeImageIndex}}

// roundTrip pushes an artifact, fetches its manifest back by the same reference, and
// compares bytes: registries that re-serialize manifests break digests and signatures.
func roundTrip(ctx context.Context, e *Env, label string, m manifest, layers ...[]byte) Result {
	tag := e.tagFor(label)
	body, r, err := e.pushArtifact(ctx, e.Repo, tag, m, layers...)
	if err != nil {
		return failErr("push", err)
	}
	if r.Status != http.StatusCreated {
		if refused(r) {
			return unsupported("%s", describe("PUT manifest", r))
		}
		return fail("%s", describe("PUT manifest", r))
	}
	return fetchSame(ctx, e, tag, ocispec.MediaTypeImageManifest, body)
}

// fetchSame GETs ref and checks the bytes and Content-Type are what was pushed.
func fetchSame(ctx context.Context, e *Env, ref, mediaType string, body []byte) Result {
	g, err := e.do(ctx, http.MethodGet, manifestPath(e.Repo, ref), nil, acceptManifests)
	if err != nil {
		return failErr("GET manifest", err)
	}
	if g.Status != http.StatusOK {
		return fail("accepted but %s", describe("GET manifest", g))
	}
	if !bytes.Equal(g.Body, body) {
		return fail("manifest changed: pushed %d bytes %s, got %d bytes %s",
			len(body), digest.FromBytes(body), len(g.Body), digest.FromBytes(g.Body))
	}
	if ct := g.Header.Get("Content-Type"); ct != mediaType {
		return fail("Content-Type %q, want %q", ct, mediaType)
	}
	return pass("accepted, byte-exact")
}

// stacItem is a minimal STAC Item unique to the run.
func stacItem(e *Env) []byte {
	return []byte(fmt.Sprintf(`{"type":"Feature","stac_version":"1.1.0","id":"probe-%s","properties":{"datetime":"2024-06-01T10:30:00Z"},"geometry":null,"links":[],"assets":{}}`, e.RunID))
}

func checkArtifactType(ctx context.Context, e *Env) Result {
	return roundTrip(ctx, e, "artifact-type", manifest{ArtifactType: typeProbeArtifact},
		e.content("artifact-type layer", 64))
}

// checkConfigMediaType uses the project's STAC-item-as-config form: a config media type no
// registry knows (GitLab and allowlisting Quay refuse such).
func checkConfigMediaType(ctx context.Context, e *Env) Result {
	cfg := stacItem(e)
	d, err := e.pushBlob(ctx, e.Repo, typeSTACConfig, cfg)
	if err != nil {
		return failErr("config blob", err)
	}
	return roundTrip(ctx, e, "config-media-type", manifest{Config: d}, e.content("config-media-type layer", 64))
}

func checkEmptyConfig(ctx context.Context, e *Env) Result {
	// pushArtifact uses the OCI empty descriptor when no config is given.
	return roundTrip(ctx, e, "empty-config", manifest{ArtifactType: typeProbeArtifact},
		e.content("empty-config layer", 64))
}

func checkNoLayers(ctx context.Context, e *Env) Result {
	return roundTrip(ctx, e, "no-layers", manifest{
		ArtifactType: typeProbeArtifact,
		Annotations:  map[string]string{"org.eopack.probe.run": e.RunID},
	})
}

// checkEOLayers pushes the seed's EO product shape: a COG band as image/tiff and the STAC
// item as application/geo+json, with the project's annotations, and checks the manifest and
// both blobs come back byte-exact.
func checkEOLayers(ctx context.Context, e *Env) Result {
	tiff := append([]byte("II*\x00"), e.content("eo-layers band", 4096)...)
	item := stacItem(e)
	m := manifest{
		ArtifactType: typeEOProduct,
		Layers: []ocispec.Descriptor{
			{MediaType: "image/tiff", Annotations: map[string]string{
				ocispec.AnnotationTitle: "B04.tif",
				"eo:band":               "B04",
				"stac:asset":            "B04",
				"stac:roles":            "data,reflectance",
				"stac:type":             "image/tiff; application=geotiff; profile=cloud-optimized",
			}},
			{MediaType: "application/geo+json", Annotations: map[string]string{
				ocispec.AnnotationTitle: "item.json",
				"type":                  "stac-item",
			}},
		},
		Annotations: map[string]string{
			"stac:id":         "probe-" + e.RunID,
			"stac:collection": "sentinel-2-l2a",
			"stac:datetime":   "2024-06-01T10:30:00Z",
			"stac:bbox":       "11.0,46.0,12.0,47.0",
		},
	}
	res := roundTrip(ctx, e, "eo-layers", m, tiff, item)
	if res.Status != Pass {
		return res
	}
	for _, b := range [][]byte{tiff, item} {
		g, err := e.do(ctx, http.MethodGet, blobPath(e.Repo, digest.FromBytes(b)), nil, nil)
		if err != nil {
			return failErr("GET blob", err)
		}
		if g.Status != http.StatusOK || !bytes.Equal(g.Body, b) {
			return fail("blob %s did not come back (%s, %d bytes)", digest.FromBytes(b), g, len(g.Body))
		}
	}
	return pass("accepted, byte-exact")
}

// checkIndex pushes two artifacts by digest and an image index of them under a tag.
func checkIndex(ctx context.Context, e *Env) Result {
	var descs []ocispec.Descriptor
	for i := range 2 {
		body, err := e.buildArtifact(ctx, e.Repo, manifest{ArtifactType: typeProbeArtifact},
			e.content(fmt.Sprintf("index child %d", i), 64))
		if err != nil {
			return failErr("push child", err)
		}
		d := digest.FromBytes(body)
		r, err := e.pushManifest(ctx, e.Repo, d.String(), ocispec.MediaTypeImageManifest, body)
		if err != nil {
			return failErr("push child", err)
		}
		if r.Status != http.StatusCreated {
			return fail("%s", describe("PUT child manifest", r))
		}
		descs = append(descs, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest,
			ArtifactType: typeProbeArtifact, Digest: d, Size: int64(len(body))})
	}
	idx := index{ArtifactType: typeProbeArtifact, Manifests: descs,
		Annotations: map[string]string{"org.eopack.probe.run": e.RunID}}.bytes()
	tag := e.tagFor("index")
	r, err := e.pushManifest(ctx, e.Repo, tag, ocispec.MediaTypeImageIndex, idx)
	if err != nil {
		return failErr("PUT index", err)
	}
	if r.Status != http.StatusCreated {
		if refused(r) {
			return unsupported("%s", describe("PUT index", r))
		}
		return fail("%s", describe("PUT index", r))
	}
	return fetchSame(ctx, e, tag, ocispec.MediaTypeImageIndex, idx)
}
