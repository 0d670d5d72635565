package probe

import (
	"context"
	"crypto/sha512"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	bisectStep      = 16 << 10 // sizes tried are multiples of this, so round limits are found exactly
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
	// try pushes a manifest of size bytes. A refusal is a status, or a dropped connection
	// (proxies often close on a body over their limit); only the check's deadline is an error.
	try := func(size int) (bool, string, error) {
		body := paddedManifest(layer, size)
		r, err := e.pushManifest(ctx, e.Repo, digest.FromBytes(body).String(), ocispec.MediaTypeImageManifest, body)
		switch {
		case ctx.Err() != nil:
			return false, "", ctx.Err()
		case err != nil:
			return false, fmt.Sprintf("%s (%s)", fmtSize(int64(size)), shortErr(err)), nil
		case r.Status != http.StatusCreated:
			return false, fmt.Sprintf("%s (%s)", fmtSize(int64(size)), r), nil
		}
		return true, "", nil
	}
	ok, rejected, err := try(manifestCeiling)
	if err != nil {
		return failErr("8 MiB manifest", err)
	}
	if ok {
		return pass("≥ %s", fmtSize(manifestCeiling))
	}
	lo, hi := 1024, manifestCeiling
	ok, why, err := try(specManifestMin)
	switch {
	case err != nil:
		return failErr("4 MiB manifest", err)
	case ok:
		lo = specManifestMin
	default:
		hi, rejected = specManifestMin, why
		if ok, why, err = try(lo); err != nil || !ok {
			if err != nil {
				return failErr("1 KiB manifest", err)
			}
			return fail("even 1 KiB refused: %s", why)
		}
	}
	for hi-lo > bisectStep {
		mid := (lo + (hi-lo)/2) / bisectStep * bisectStep
		if mid <= lo {
			mid = lo + bisectStep
		}
		ok, why, err := try(mid)
		if err != nil {
			return failErr(fmtSize(int64(mid))+" manifest", err)
		}
		if ok {
			lo = mid
		} else {
			hi, rejected = mid, why
		}
	}
	if lo < specManifestMin {
		return fail("accepts %s, refuses %s; the spec asks for 4 MiB", fmtSize(int64(lo)), rejected)
	}
	return pass("accepts %s, refuses %s", fmtSize(int64(lo)), rejected)
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
		if ctx.Err() != nil {
			return failErr(fmtSize(size), ctx.Err())
		}
		if err == nil {
			if err := verifyBlob(ctx, e, e.Repo, d, size); err != nil {
				return failErr("after upload", err)
			}
			if size == e.MaxBlob {
				return pass("%s accepted", fmtSize(size))
			}
			return unsupported("largest %s (%s)", fmtSize(size), strings.Join(refusals, ", "))
		}
		why := shortErr(err) // the connection dropped mid-upload: a refusal too
		if r != nil {
			why = r.String()
		}
		refusals = append(refusals, fmtSize(size)+" → "+why)
		if size < 2<<20 {
			break
		}
	}
	return fail("refused: %s", strings.Join(refusals, ", "))
}

// blobSizeBudget gives the blob-size check its time limit per DefaultMaxBlob of data: the
// limit is meant for a default-sized run, and a larger --max-blob needs proportionally more.
func blobSizeBudget(e *Env, limit time.Duration) time.Duration {
	if n := (e.MaxBlob + DefaultMaxBlob - 1) / DefaultMaxBlob; n > 1 {
		return limit * time.Duration(n)
	}
	return limit
}

// fmtSize prints sizes in binary units with at most two decimals: 64 MiB, 4.02 MiB, 1.5 KiB.
func fmtSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) + " " + units[i]
}
