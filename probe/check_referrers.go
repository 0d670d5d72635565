package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const (
	typeProbeSig  = "application/vnd.eopack.probe.sig.v1"
	typeProbeSBOM = "application/vnd.eopack.probe.sbom.v1"
)

// referrersSetup is a subject with two referrers of different artifactTypes.
type referrersSetup struct {
	subject     ocispec.Descriptor
	sig, sbom   digest.Digest
	subjectSent bool // the PUTs answered with OCI-Subject
}

func setupReferrers(ctx context.Context, e *Env, label string) (referrersSetup, error) {
	var s referrersSetup
	var err error
	if s.subject, err = subjectFor(ctx, e, label); err != nil {
		return s, err
	}
	s.subjectSent = true
	for i, at := range []string{typeProbeSig, typeProbeSBOM} {
		body, err := e.buildArtifact(ctx, e.Repo, manifest{ArtifactType: at, Subject: &s.subject},
			e.content(fmt.Sprintf("%s referrer %d", label, i), 300))
		if err != nil {
			return s, err
		}
		d := digest.FromBytes(body)
		r, err := e.pushManifest(ctx, e.Repo, d.String(), ocispec.MediaTypeImageManifest, body)
		if err != nil {
			return s, err
		}
		if r.Status != http.StatusCreated {
			return s, &refusal{what: "PUT manifest with subject", r: r}
		}
		if r.Header.Get("OCI-Subject") != s.subject.Digest.String() {
			s.subjectSent = false
		}
		if at == typeProbeSig {
			s.sig = d
		} else {
			s.sbom = d
		}
	}
	return s, nil
}

// listReferrers calls GET /v2/<repo>/referrers/<digest>[?artifactType=…] (spec "end-12").
func listReferrers(ctx context.Context, e *Env, subject digest.Digest, artifactType string) (*Response, []ocispec.Descriptor, error) {
	p := fmt.Sprintf("/v2/%s/referrers/%s", e.Repo, subject)
	if artifactType != "" {
		p += "?artifactType=" + url.QueryEscape(artifactType)
	}
	r, err := e.do(ctx, http.MethodGet, p, nil, http.Header{"Accept": {ocispec.MediaTypeImageIndex}})
	if err != nil || r.Status != http.StatusOK {
		return r, nil, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(r.Body, &idx); err != nil {
		return r, nil, fmt.Errorf("referrers response is not an index: %w", err)
	}
	return r, idx.Manifests, nil
}

func has(descs []ocispec.Descriptor, d digest.Digest, artifactType string) bool {
	for _, x := range descs {
		if x.Digest == d && x.ArtifactType == artifactType {
			return true
		}
	}
	return false
}

func checkReferrers(ctx context.Context, e *Env) Result {
	s, err := setupReferrers(ctx, e, "referrers")
	if err != nil {
		return verdict("setup", err)
	}
	r, descs, err := listReferrers(ctx, e, s.subject.Digest, "")
	if err != nil {
		return failErr("GET referrers", err)
	}
	switch {
	case r.Status == http.StatusNotFound:
		return unsupported("404: no API; clients use the tag schema")
	case r.Status != http.StatusOK:
		if refused(r) {
			return unsupported("%s", describe("GET referrers", r))
		}
		return fail("%s", describe("GET referrers", r))
	case !has(descs, s.sig, typeProbeSig) || !has(descs, s.sbom, typeProbeSBOM):
		return fail("200 but %d referrers listed, want both with their artifactType", len(descs))
	case !s.subjectSent:
		return fail("API works but PUT with subject lacks OCI-Subject (a MUST)")
	}
	return pass("200, both listed; OCI-Subject sent")
}

func checkReferrersFilter(ctx context.Context, e *Env) Result {
	s, err := setupReferrers(ctx, e, "referrers-filter")
	if err != nil {
		return verdict("setup", err)
	}
	r, descs, err := listReferrers(ctx, e, s.subject.Digest, typeProbeSig)
	if err != nil {
		return failErr("GET referrers", err)
	}
	if r.Status != http.StatusOK {
		if refused(r) {
			return unsupported("no referrers API (%s)", r)
		}
		return fail("%s", describe("GET referrers", r))
	}
	applied := strings.Contains(r.Header.Get("OCI-Filters-Applied"), "artifactType")
	switch {
	case !has(descs, s.sig, typeProbeSig):
		return fail("filtered list lacks the matching referrer")
	case applied && len(descs) != 1:
		return fail("OCI-Filters-Applied but %d referrers returned, want 1", len(descs))
	case !applied && len(descs) == 1:
		return fail("filtered without OCI-Filters-Applied: artifactType")
	case !applied:
		return unsupported("not applied: clients filter")
	}
	return pass("applied (OCI-Filters-Applied)")
}

// checkReferrersTagSchema does what clients do without the API (spec "referrers tag
// schema"): keep an index of referrers under the tag sha256-<hex of subject>.
func checkReferrersTagSchema(ctx context.Context, e *Env) Result {
	subject, err := subjectFor(ctx, e, "referrers-tag-schema")
	if err != nil {
		return failErr("setup", err)
	}
	body, err := e.buildArtifact(ctx, e.Repo, manifest{ArtifactType: typeProbeSig, Subject: &subject},
		e.content("tag-schema referrer", 300))
	if err != nil {
		return failErr("referrer", err)
	}
	d := digest.FromBytes(body)
	if r, err := e.pushManifest(ctx, e.Repo, d.String(), ocispec.MediaTypeImageManifest, body); err != nil || r.Status != http.StatusCreated {
		if err != nil {
			return failErr("referrer", err)
		}
		return fail("%s", describe("PUT referrer", r))
	}
	idx := index{Manifests: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: typeProbeSig, Digest: d, Size: int64(len(body))}}}.bytes()
	tag := subject.Digest.Algorithm().String() + "-" + subject.Digest.Encoded()
	r, err := e.pushManifest(ctx, e.Repo, tag, ocispec.MediaTypeImageIndex, idx)
	if err != nil {
		return failErr("PUT index", err)
	}
	if r.Status != http.StatusCreated {
		if refused(r) {
			return unsupported("%s", describe("PUT tag-schema index", r))
		}
		return fail("%s", describe("PUT tag-schema index", r))
	}
	res := fetchSame(ctx, e, tag, ocispec.MediaTypeImageIndex, idx)
	if res.Status == Pass {
		res.Summary = "tag sha256-<hex> index accepted"
	}
	return res
}
