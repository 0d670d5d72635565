package probe

import (
	"context"
	"crypto/sha512"
	"fmt"
	"net/http"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// checkSHA512 uploads a blob addressed by sha512, then a manifest that refers to it, pushed
// by its own sha512 digest (image-spec "digests": sha512 is a registered algorithm).
func checkSHA512(ctx context.Context, e *Env) Result {
	b := e.content("sha512", 1500)
	sum := sha512.Sum512(b)
	d := digest.NewDigestFromBytes(digest.SHA512, sum[:])
	loc, _, err := e.startUpload(ctx, e.Repo)
	if err != nil {
		return failErr("start", err)
	}
	put, err := e.finishUpload(ctx, e.Repo, loc, d, bytesBody(b))
	if err != nil {
		if put != nil && refused(put) {
			return unsupported("blob: %s", describe("PUT ?digest=sha512", put))
		}
		return failErr("blob", err)
	}
	if err := verifyBlob(ctx, e, e.Repo, d, int64(len(b))); err != nil {
		return failErr("blob by sha512", err)
	}
	blob := "blob ok"
	if got := put.Header.Get("Docker-Content-Digest"); got != "" && got != d.String() {
		blob = "blob kept as " + strings.SplitN(got, ":", 2)[0]
	}
	if _, err := e.pushBlob(ctx, e.Repo, ocispec.MediaTypeEmptyJSON, emptyJSON); err != nil {
		return failErr("config", err)
	}
	body := manifest{ArtifactType: typeProbeArtifact, Config: ocispec.DescriptorEmptyJSON,
		Layers: []ocispec.Descriptor{{MediaType: typeProbeLayer, Digest: d, Size: int64(len(b))}}}.bytes()
	msum := sha512.Sum512(body)
	md := digest.NewDigestFromBytes(digest.SHA512, msum[:])
	r, err := e.pushManifest(ctx, e.Repo, md.String(), ocispec.MediaTypeImageManifest, body)
	if err != nil {
		return failErr("manifest", err)
	}
	if r.Status != http.StatusCreated {
		if refused(r) {
			return unsupported("%s; manifest: %s", blob, describe("PUT by sha512", r))
		}
		return fail("%s; manifest: %s", blob, describe("PUT by sha512", r))
	}
	res := fetchSame(ctx, e, md.String(), ocispec.MediaTypeImageManifest, body)
	if res.Status != Pass {
		return res
	}
	if blob != "blob ok" {
		return unsupported("%s; manifest by sha512 ok", blob)
	}
	return pass("blob and manifest by sha512")
}

const (
	specManifestMin = 4 << 20 // distribution-spec: registries SHOULD accept at least 4 MiB
	manifestCeiling = 8 << 20
	bisectPrecision = 64 << 10
)

// checkManifestSize finds the largest manifest the registry accepts, up to 8 MiB, by
// bisection over manifests padded with an annotation.
func checkManifestSize(ctx context.Context, e *Env) Result {
	layer, err := e.pushBlob(ctx, e.Repo, typeProbeLayer, e.content("manifest-size", 100))
	if err != nil {
		return failErr("layer", err)
	}
	if _, err := e.pushBlob(ctx, e.Repo, ocispec.MediaTypeEmptyJSON, emptyJSON); err != nil {
		return failErr("config", err)
	}
	try := func(size int) (bool, *Response, error) {
		body := paddedManifest(layer, size)
		r, err := e.pushManifest(ctx, e.Repo, digest.FromBytes(body).String(), ocispec.MediaTypeImageManifest, body)
		if err != nil {
			return false, nil, err
		}
		return r.Status == http.StatusCreated, r, nil
	}
	ok, r, err := try(manifestCeiling)
	if err != nil {
		return failErr("8 MiB manifest", err)
	}
	if ok {
		return pass("≥ %s", fmtSize(manifestCeiling))
	}
	rejected := fmt.Sprintf("%s → %s", fmtSize(manifestCeiling), r)
	lo, hi := 1024, manifestCeiling
	if ok, r, err = try(specManifestMin); err != nil {
		return failErr("4 MiB manifest", err)
	} else if ok {
		lo = specManifestMin
	} else {
		hi, rejected = specManifestMin, fmt.Sprintf("%s → %s", fmtSize(specManifestMin), r)
		if ok, r, err = try(lo); err != nil || !ok {
			if err != nil {
				return failErr("1 KiB manifest", err)
			}
			return fail("even 1 KiB refused: %s", r)
		}
	}
	for hi-lo > bisectPrecision {
		mid := lo + (hi-lo)/2
		ok, r, err := try(mid)
		if err != nil {
			return failErr(fmtSize(int64(mid))+" manifest", err)
		}
		if ok {
			lo = mid
		} else {
			hi, rejected = mid, fmt.Sprintf("%s → %s", fmtSize(int64(mid)), r)
		}
	}
	if lo < specManifestMin {
		return fail("largest %s (< the spec's 4 MiB; %s)", fmtSize(int64(lo)), rejected)
	}
	return pass("largest ≈ %s (%s)", fmtSize(int64(lo)), rejected)
}

// paddedManifest is a valid manifest of exactly size bytes (size ≥ ~400).
func paddedManifest(layer ocispec.Descriptor, size int) []byte {
	m := manifest{ArtifactType: typeProbeArtifact, Config: ocispec.DescriptorEmptyJSON,
		Layers: []ocispec.Descriptor{layer}, Annotations: map[string]string{"org.eopack.probe.padding": ""}}
	n := size - len(m.bytes())
	if n < 0 {
		n = 0
	}
	m.Annotations["org.eopack.probe.padding"] = strings.Repeat("x", n)
	return m.bytes()
}

// checkBlobSize uploads a blob of --max-blob bytes streamed from a generator, halving on
// refusal down to 1 MiB, and reports the largest accepted.
func checkBlobSize(ctx context.Context, e *Env) Result {
	var refusals []string
	for size := e.MaxBlob; size >= 1<<20 || size == e.MaxBlob; size /= 2 {
		seed := e.seedFor(fmt.Sprintf("blob-size %d", size))
		d := genDigest(seed, size, digest.SHA256)
		loc, _, err := e.startUpload(ctx, e.Repo)
		if err != nil {
			return failErr("start", err)
		}
		r, err := e.finishUpload(ctx, e.Repo, loc, d, genBody(seed, 0, size))
		if err == nil {
			if err := verifyBlob(ctx, e, e.Repo, d, size); err != nil {
				return failErr("after upload", err)
			}
			if size == e.MaxBlob {
				return pass("%s accepted", fmtSize(size))
			}
			return unsupported("largest %s (%s)", fmtSize(size), strings.Join(refusals, ", "))
		}
		if r == nil {
			return failErr(fmtSize(size), err)
		}
		refusals = append(refusals, fmtSize(size)+" → "+r.String())
		if size < 2<<20 {
			break
		}
	}
	return fail("refused: %s", strings.Join(refusals, ", "))
}

// fmtSize prints sizes in binary units: 64 MiB, 4.0 MiB, 1.5 KiB.
func fmtSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d %s", int64(f), units[i])
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}
