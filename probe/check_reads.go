package probe

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// checkDedup pushes an artifact, then pushes it again the way ORAS does: HEAD every blob and
// the manifest first, and send only what is missing. It passes when the second push would
// send 0 bytes because every HEAD says 200 with the right size.
func checkDedup(ctx context.Context, e *Env) Result {
	layers := [][]byte{e.content("dedup 1", 3000), e.content("dedup 2", 5000)}
	tag := e.tagFor("dedup")
	body, r, err := e.pushArtifact(ctx, e.Repo, tag, manifest{ArtifactType: typeProbeArtifact}, layers...)
	if err != nil {
		return failErr("first push", err)
	}
	if r.Status != http.StatusCreated {
		return fail("first push: %s", describe("PUT manifest", r))
	}
	var resend int64
	var missing []string
	for _, b := range append([][]byte{emptyJSON}, layers...) {
		d := digest.FromBytes(b)
		h, err := e.do(ctx, http.MethodHead, blobPath(e.Repo, d), nil, nil)
		if err != nil {
			return failErr("HEAD blob", err)
		}
		if h.Status != http.StatusOK || h.Header.Get("Content-Length") != strconv.Itoa(len(b)) {
			resend += int64(len(b))
			missing = append(missing, fmt.Sprintf("blob %s → %s", d.Encoded()[:12], h))
		}
	}
	h, err := e.do(ctx, http.MethodHead, manifestPath(e.Repo, digest.FromBytes(body).String()), nil, acceptManifests)
	if err != nil {
		return failErr("HEAD manifest", err)
	}
	if h.Status != http.StatusOK {
		missing = append(missing, "manifest → "+h.String())
	}
	if len(missing) > 0 {
		return fail("re-push would send %d bytes: %s", resend, strings.Join(missing, ", "))
	}
	return pass("re-push sends 0 of %d blob bytes", len(emptyJSON)+len(layers[0])+len(layers[1]))
}

// checkDigestHeader looks for Docker-Content-Digest on GET and HEAD of a manifest (by tag and
// by digest) and of a blob. The spec says registries SHOULD send it for manifests; clients
// (ORAS, crane) use it to resolve tags with a HEAD.
func checkDigestHeader(ctx context.Context, e *Env) Result {
	layer := e.content("digest-header", 1000)
	tag := e.tagFor("digest-header")
	body, r, err := e.pushArtifact(ctx, e.Repo, tag, manifest{ArtifactType: typeProbeArtifact}, layer)
	if err != nil {
		return failErr("push", err)
	}
	if r.Status != http.StatusCreated {
		return fail("%s", describe("PUT manifest", r))
	}
	md, ld := digest.FromBytes(body), digest.FromBytes(layer)
	cases := []struct {
		what, method, path string
		want               digest.Digest
	}{
		{"HEAD manifest by tag", http.MethodHead, manifestPath(e.Repo, tag), md},
		{"GET manifest by tag", http.MethodGet, manifestPath(e.Repo, tag), md},
		{"HEAD manifest by digest", http.MethodHead, manifestPath(e.Repo, md.String()), md},
		{"GET manifest by digest", http.MethodGet, manifestPath(e.Repo, md.String()), md},
		{"HEAD blob", http.MethodHead, blobPath(e.Repo, ld), ld},
		{"GET blob", http.MethodGet, blobPath(e.Repo, ld), ld},
	}
	var absent, wrong []string
	for _, c := range cases {
		g, err := e.do(ctx, c.method, c.path, nil, acceptManifests)
		if err != nil {
			return failErr(c.what, err)
		}
		if g.Status != http.StatusOK {
			return fail("%s", describe(c.what, g))
		}
		switch got := g.Header.Get("Docker-Content-Digest"); got {
		case "":
			absent = append(absent, c.what)
		case c.want.String():
		default:
			wrong = append(wrong, fmt.Sprintf("%s: %s", c.what, got))
		}
	}
	switch {
	case len(wrong) > 0:
		return fail("wrong digest on %s", strings.Join(wrong, ", "))
	case len(absent) > 0:
		return unsupported("absent on %s", strings.Join(absent, ", "))
	}
	return pass("on all 6 (manifest/blob × GET/HEAD)")
}

// checkRange asks for a middle slice of a blob (RFC 9110 Range; what GDAL's /vsicurl/ does
// to read a COG). 206 with the right bytes passes; 200 with the whole blob means the
// registry ignores Range.
func checkRange(ctx context.Context, e *Env) Result {
	b := e.content("range", 10000)
	d, err := e.pushBlob(ctx, e.Repo, "image/tiff", b)
	if err != nil {
		return failErr("blob", err)
	}
	const from, to = 1000, 1999
	g, err := e.do(ctx, http.MethodGet, blobPath(e.Repo, d.Digest), nil,
		http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", from, to)}})
	if err != nil {
		return failErr("GET Range", err)
	}
	switch {
	case g.Status == http.StatusPartialContent:
		if !bytes.Equal(g.Body, b[from:to+1]) {
			return fail("206 with wrong bytes (%d bytes)", len(g.Body))
		}
		want := fmt.Sprintf("bytes %d-%d/%d", from, to, len(b))
		if cr := g.Header.Get("Content-Range"); cr != want {
			return fail("206 with Content-Range %q, want %q", cr, want)
		}
		return pass("206, right bytes")
	case g.Status == http.StatusOK:
		return unsupported("200: Range ignored")
	case refused(g):
		return unsupported("%s", describe("GET Range", g))
	}
	return fail("%s", describe("GET Range", g))
}

// subjectFor pushes a small artifact to refer to and returns its descriptor.
func subjectFor(ctx context.Context, e *Env, label string) (ocispec.Descriptor, error) {
	body, r, err := e.pushArtifact(ctx, e.Repo, e.tagFor(label), manifest{ArtifactType: typeEOProduct},
		e.content(label+" subject", 500))
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if r.Status != http.StatusCreated {
		return ocispec.Descriptor{}, fmt.Errorf("subject: %s", describe("PUT manifest", r))
	}
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(body),
		Size: int64(len(body))}, nil
}
