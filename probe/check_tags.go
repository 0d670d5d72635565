package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

type tagList struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

func listTags(ctx context.Context, e *Env, target string) (*Response, tagList, error) {
	var tl tagList
	r, err := e.do(ctx, http.MethodGet, target, nil, nil)
	if err != nil || r.Status != http.StatusOK {
		return r, tl, err
	}
	if err := json.Unmarshal(r.Body, &tl); err != nil {
		return r, tl, fmt.Errorf("tags list is not JSON: %w", err)
	}
	return r, tl, nil
}

var linkNext = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

// checkTagsList pushes three tags, lists all tags, then pages through them two at a time
// (spec "end-8b": n, last, and a Link header to the next page) and compares.
func checkTagsList(ctx context.Context, e *Env) Result {
	body, err := e.buildArtifact(ctx, e.Repo, manifest{ArtifactType: typeProbeArtifact}, e.content("tags-list", 200))
	if err != nil {
		return failErr("push", err)
	}
	for i := range 3 {
		r, err := e.pushManifest(ctx, e.Repo, e.tagFor(fmt.Sprintf("tags-%d", i)), "application/vnd.oci.image.manifest.v1+json", body)
		if err != nil {
			return failErr("tag", err)
		}
		if r.Status != http.StatusCreated {
			return fail("%s", describe("PUT tag", r))
		}
	}
	base := fmt.Sprintf("/v2/%s/tags/list", e.Repo)
	r, all, err := listTags(ctx, e, base)
	if err != nil || r.Status != http.StatusOK {
		if err != nil {
			return failErr("tags list", err)
		}
		return fail("%s", describe("GET tags/list", r))
	}
	if !slices.IsSorted(all.Tags) {
		return fail("tags not in lexical order")
	}
	var paged []string
	target := base + "?n=2"
	sawLink := false
	for pages := 0; target != ""; pages++ {
		if pages > len(all.Tags)+1 {
			return fail("pagination does not end")
		}
		r, page, err := listTags(ctx, e, target)
		if err != nil || r.Status != http.StatusOK {
			if err != nil {
				return failErr("page", err)
			}
			if refused(r) {
				return unsupported("%s", describe("GET tags/list?n=2", r))
			}
			return fail("%s", describe("GET tags/list?n=2", r))
		}
		if len(page.Tags) > 2 {
			return unsupported("n ignored: %d tags on a page of 2", len(page.Tags))
		}
		paged = append(paged, page.Tags...)
		target = ""
		if m := linkNext.FindStringSubmatch(r.Header.Get("Link")); m != nil {
			sawLink = true
			target = m[1]
			if u, err := url.Parse(m[1]); err == nil && u.IsAbs() {
				target = u.RequestURI()
			}
		} else if len(page.Tags) == 2 && len(paged) < len(all.Tags) {
			// No Link: continue with last= ourselves (spec: the client MAY).
			target = base + "?n=2&last=" + url.QueryEscape(page.Tags[len(page.Tags)-1])
		}
	}
	if !slices.Equal(paged, all.Tags) {
		return fail("pages %s ≠ full list %s", strings.Join(paged, ","), strings.Join(all.Tags, ","))
	}
	if !sawLink {
		return unsupported("n/last work; no Link header")
	}
	return pass("n/last + Link over %d tags", len(all.Tags))
}

// pushTagged pushes a small artifact under a fresh tag and returns the tag and digest.
func pushTagged(ctx context.Context, e *Env, label string) (string, digest.Digest, error) {
	tag := e.tagFor(label)
	body, r, err := e.pushArtifact(ctx, e.Repo, tag, manifest{ArtifactType: typeProbeArtifact}, e.content(label, 100))
	if err != nil {
		return "", "", err
	}
	if r.Status != http.StatusCreated {
		return "", "", fmt.Errorf("%s", describe("PUT manifest", r))
	}
	return tag, digest.FromBytes(body), nil
}

// deleted interprets a DELETE answer: 202 is support (spec "end-9", "end-10"); 405 and
// 400/UNSUPPORTED are the clean refusals that Docker Hub, GHCR and distribution without
// delete.enabled give.
func deleted(what string, r *Response) (Result, bool) {
	if r.Status == http.StatusAccepted {
		return Result{}, true
	}
	if refused(r) {
		return unsupported("%s", describe(what, r)), false
	}
	return fail("%s", describe(what, r)), false
}

func checkDeleteTag(ctx context.Context, e *Env) Result {
	tag, d, err := pushTagged(ctx, e, "delete-tag")
	if err != nil {
		return failErr("push", err)
	}
	r, err := e.do(ctx, http.MethodDelete, manifestPath(e.Repo, tag), nil, nil)
	if err != nil {
		return failErr("DELETE tag", err)
	}
	if res, ok := deleted("DELETE tag", r); !ok {
		return res
	}
	if g, err := e.do(ctx, http.MethodHead, manifestPath(e.Repo, tag), nil, acceptManifests); err != nil || g.Status != http.StatusNotFound {
		if err != nil {
			return failErr("HEAD deleted tag", err)
		}
		return fail("deleted tag still resolves: %s", describe("HEAD", g))
	}
	g, err := e.do(ctx, http.MethodHead, manifestPath(e.Repo, d.String()), nil, acceptManifests)
	if err != nil {
		return failErr("HEAD manifest", err)
	}
	if g.Status != http.StatusOK {
		return pass("202; the manifest went too (%s)", g)
	}
	return pass("202; manifest kept")
}

func checkDeleteManifest(ctx context.Context, e *Env) Result {
	_, d, err := pushTagged(ctx, e, "delete-manifest")
	if err != nil {
		return failErr("push", err)
	}
	r, err := e.do(ctx, http.MethodDelete, manifestPath(e.Repo, d.String()), nil, nil)
	if err != nil {
		return failErr("DELETE manifest", err)
	}
	if res, ok := deleted("DELETE manifest", r); !ok {
		return res
	}
	g, err := e.do(ctx, http.MethodGet, manifestPath(e.Repo, d.String()), nil, acceptManifests)
	if err != nil {
		return failErr("GET deleted manifest", err)
	}
	if g.Status != http.StatusNotFound {
		return fail("deleted manifest still there: %s", describe("GET", g))
	}
	return pass("202, then 404")
}

func checkDeleteBlob(ctx context.Context, e *Env) Result {
	d, err := e.pushBlob(ctx, e.Repo, typeProbeLayer, e.content("delete-blob", 700))
	if err != nil {
		return failErr("push", err)
	}
	r, err := e.do(ctx, http.MethodDelete, blobPath(e.Repo, d.Digest), nil, nil)
	if err != nil {
		return failErr("DELETE blob", err)
	}
	if res, ok := deleted("DELETE blob", r); !ok {
		return res
	}
	g, err := e.do(ctx, http.MethodHead, blobPath(e.Repo, d.Digest), nil, nil)
	if err != nil {
		return failErr("HEAD deleted blob", err)
	}
	if g.Status != http.StatusNotFound {
		return fail("deleted blob still there: %s", describe("HEAD", g))
	}
	return pass("202, then 404")
}
