// Package probe evaluates what an OCI registry accepts and supports for non-container
// artifacts: artifact shapes, upload styles, reads, the referrers API, tag listing, deletion,
// digests and size limits.
//
// A probe is a list of independent checks. Each check pushes only what it needs into a
// scratch repository, records pass / fail / unsupported with the evidence it saw (status
// codes, headers, error codes), and the runner deletes what the check pushed afterwards,
// reporting what the registry would not let it delete. Checks talk HTTP directly (net/http
// with oras-go's auth.Client for credentials) because the point is to observe the raw
// protocol as specified by the OCI distribution-spec v1.1:
// https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md
package probe

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Status is the outcome of one check.
type Status string

const (
	// Pass: the registry does what the check asks, correctly.
	Pass Status = "pass"
	// Fail: the registry misbehaved (wrong bytes, 5xx, broken protocol) or the check
	// could not set itself up (a prerequisite push was refused, a timeout, a crash).
	Fail Status = "fail"
	// Unsupported: the registry cleanly declines the feature under test (404 on the
	// referrers API, 405 on DELETE, 202 instead of a mount, 400 for a digest algorithm).
	Unsupported Status = "unsupported"
	// Skip: the check did not run because the registry is unreachable or refused the
	// credentials; the summary says which.
	Skip Status = "skip"
)

// Result is what one check found.
type Result struct {
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Status    Status        `json:"status"`
	Summary   string        `json:"summary,omitempty"`
	Evidence  []string      `json:"evidence,omitempty"`
	Leftovers []string      `json:"leftovers,omitempty"`
	Duration  time.Duration `json:"-"`
	Seconds   float64       `json:"seconds"`
}

// Check is one independent question asked of a registry.
type Check struct {
	ID    string
	Title string
	Run   func(ctx context.Context, e *Env) Result
	// Budget, if set, stretches the per-check time limit for checks whose work grows with
	// the options (the blob-size check with --max-blob).
	Budget func(e *Env, limit time.Duration) time.Duration
}

// Report is the outcome of probing one registry.
type Report struct {
	Registry   string   `json:"registry"`
	Repository string   `json:"repository"`
	Results    []Result `json:"results"`
}

func pass(format string, a ...any) Result {
	return Result{Status: Pass, Summary: fmt.Sprintf(format, a...)}
}

func fail(format string, a ...any) Result {
	return Result{Status: Fail, Summary: fmt.Sprintf(format, a...)}
}

func unsupported(format string, a ...any) Result {
	return Result{Status: Unsupported, Summary: fmt.Sprintf(format, a...)}
}

// failErr reports a check that could not complete a request it depends on.
func failErr(step string, err error) Result {
	return fail("%s: %v", step, err)
}

// refusal is an error for a request the registry answered but declined: the feature under
// test is then unsupported (4xx) or broken (anything else), not the check's setup.
type refusal struct {
	what string
	r    *Response
}

func (e *refusal) Error() string { return describe(e.what, e.r) }

// verdict turns an error of a check's step into its result.
func verdict(step string, err error) Result {
	var rf *refusal
	if errors.As(err, &rf) && refused(rf.r) {
		return unsupported("%s", rf.Error())
	}
	return failErr(step, err)
}

// Checks returns every check, in the order they run and appear in tables. The first two
// (reach, auth) gate the others: when the registry cannot be reached or refuses the
// credentials, the rest are skipped.
func Checks() []Check {
	return []Check{
		{"reach", "registry API reachable (GET /v2/)", checkReach, nil},
		{"auth", "auth scheme; credentials accepted", checkAuth, nil},
		{"artifact-type", "custom artifactType", checkArtifactType, nil},
		{"config-media-type", "custom config media type", checkConfigMediaType, nil},
		{"empty-config", "empty config descriptor", checkEmptyConfig, nil},
		{"no-layers", "manifest with no layers", checkNoLayers, nil},
		{"eo-layers", "EO layers + annotations byte-exact", checkEOLayers, nil},
		{"index", "image index of artifacts", checkIndex, nil},
		{"upload-monolithic", "upload: POST then PUT", checkUploadMonolithic, nil},
		{"upload-single-post", "upload: single POST with digest", checkUploadSinglePost, nil},
		{"upload-chunked", "upload: chunked PATCH", checkUploadChunked, nil},
		{"upload-resume", "upload: status and resume", checkUploadResume, nil},
		{"upload-cancel", "upload: cancel (DELETE)", checkUploadCancel, nil},
		{"mount-from", "cross-repo mount with from", checkMountFrom, nil},
		{"mount-auto", "automatic mount (no from)", checkMountAuto, nil},
		{"dedup", "re-push sends 0 blob bytes", checkDedup, nil},
		{"digest-header", "Docker-Content-Digest on GET/HEAD", checkDigestHeader, nil},
		{"range", "Range GET on blobs (206)", checkRange, nil},
		{"referrers", "referrers API", checkReferrers, nil},
		{"referrers-filter", "referrers artifactType filter", checkReferrersFilter, nil},
		{"referrers-tag-schema", "referrers tag-schema fallback", checkReferrersTagSchema, nil},
		{"tags-list", "tags list n/last + Link", checkTagsList, nil},
		{"delete-tag", "delete tag", checkDeleteTag, nil},
		{"delete-manifest", "delete manifest", checkDeleteManifest, nil},
		{"delete-blob", "delete blob", checkDeleteBlob, nil},
		{"sha512", "sha512 digests", checkSHA512, nil},
		{"manifest-size", "largest manifest (≤ 8 MiB)", checkManifestSize, nil},
		{"blob-size", "largest blob (≤ --max-blob)", checkBlobSize, blobSizeBudget},
	}
}

// CheckIDs lists the IDs of every check, for usage messages.
func CheckIDs() []string {
	var ids []string
	for _, c := range Checks() {
		ids = append(ids, c.ID)
	}
	return ids
}
