package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/metadata"
)

// Code is an error code of the distribution spec
// (https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#error-codes).
type Code string

// The spec's error codes; each is registered once in codeStatus with its HTTP status.
const (
	CodeBlobUnknown         Code = "BLOB_UNKNOWN"
	CodeBlobUploadInvalid   Code = "BLOB_UPLOAD_INVALID"
	CodeBlobUploadUnknown   Code = "BLOB_UPLOAD_UNKNOWN"
	CodeDigestInvalid       Code = "DIGEST_INVALID"
	CodeManifestBlobUnknown Code = "MANIFEST_BLOB_UNKNOWN"
	CodeManifestInvalid     Code = "MANIFEST_INVALID"
	CodeManifestUnknown     Code = "MANIFEST_UNKNOWN"
	CodeNameInvalid         Code = "NAME_INVALID"
	CodeNameUnknown         Code = "NAME_UNKNOWN"
	CodeSizeInvalid         Code = "SIZE_INVALID"
	CodeUnauthorized        Code = "UNAUTHORIZED"
	CodeDenied              Code = "DENIED"
	CodeUnsupported         Code = "UNSUPPORTED"
	CodeTooManyRequests     Code = "TOOMANYREQUESTS"
)

var codeStatus = map[Code]int{
	CodeBlobUnknown:         http.StatusNotFound,
	CodeBlobUploadInvalid:   http.StatusBadRequest,
	CodeBlobUploadUnknown:   http.StatusNotFound,
	CodeDigestInvalid:       http.StatusBadRequest,
	CodeManifestBlobUnknown: http.StatusNotFound,
	CodeManifestInvalid:     http.StatusBadRequest,
	CodeManifestUnknown:     http.StatusNotFound,
	CodeNameInvalid:         http.StatusBadRequest,
	CodeNameUnknown:         http.StatusNotFound,
	CodeSizeInvalid:         http.StatusBadRequest,
	CodeUnauthorized:        http.StatusUnauthorized,
	CodeDenied:              http.StatusForbidden,
	CodeUnsupported:         http.StatusMethodNotAllowed,
	CodeTooManyRequests:     http.StatusTooManyRequests,
}

// Status is the HTTP status registered for c.
func (c Code) Status() int { return codeStatus[c] }

// Sentinel errors of the server, each mapped to one code in errorCodes.
var (
	ErrNameInvalid         = errors.New("invalid repository name")
	ErrNameUnknown         = errors.New("repository name not known to registry")
	ErrBlobUnknown         = errors.New("blob unknown to registry")
	ErrUploadUnknown       = errors.New("blob upload unknown to registry")
	ErrUploadInvalid       = errors.New("blob upload invalid")
	ErrRangeInvalid        = errors.New("requested range not satisfiable")
	ErrDigestInvalid       = errors.New("provided digest did not match uploaded content")
	ErrSizeInvalid         = errors.New("provided length did not match content length")
	ErrManifestUnknown     = errors.New("manifest unknown to registry")
	ErrManifestInvalid     = errors.New("manifest invalid")
	ErrManifestBlobUnknown = errors.New("manifest references a manifest or blob unknown to registry")
	ErrManifestTooLarge    = errors.New("manifest too large")
	ErrUnauthorized        = errors.New("authentication required")
	ErrDenied              = errors.New("requested access to the resource is denied")
	ErrUnsupported         = errors.New("the operation is unsupported")
)

// errorCodes is the one table from errors (the handler's and the storage's) to codes; the
// first match wins. status, when set, replaces the code's registered status where another
// one is required for that case (413 for an oversized manifest, 416 for an out-of-order
// chunk, 400 for a manifest naming a missing blob, as distribution and Docker's registry API
// answer) while the body keeps a code from the spec's list.
var errorCodes = []struct {
	err    error
	code   Code
	status int
}{
	{ErrNameInvalid, CodeNameInvalid, 0},
	{ErrNameUnknown, CodeNameUnknown, 0},
	{ErrBlobUnknown, CodeBlobUnknown, 0},
	{ErrUploadUnknown, CodeBlobUploadUnknown, 0},
	{ErrRangeInvalid, CodeBlobUploadInvalid, http.StatusRequestedRangeNotSatisfiable},
	{ErrUploadInvalid, CodeBlobUploadInvalid, 0},
	{ErrDigestInvalid, CodeDigestInvalid, 0},
	{content.ErrMismatchedDigest, CodeDigestInvalid, 0},
	{errdef.ErrInvalidDigest, CodeDigestInvalid, 0},
	{ErrSizeInvalid, CodeSizeInvalid, 0},
	{content.ErrTrailingData, CodeSizeInvalid, 0},
	{io.ErrUnexpectedEOF, CodeSizeInvalid, 0},
	{ErrManifestTooLarge, CodeSizeInvalid, http.StatusRequestEntityTooLarge},
	{ErrManifestBlobUnknown, CodeManifestBlobUnknown, http.StatusBadRequest},
	{metadata.ErrReferenceMissing, CodeManifestBlobUnknown, http.StatusBadRequest},
	{ErrManifestInvalid, CodeManifestInvalid, 0},
	{metadata.ErrManifestInvalid, CodeManifestInvalid, 0},
	{ErrManifestUnknown, CodeManifestUnknown, 0},
	{metadata.ErrManifestUnknown, CodeManifestUnknown, 0},
	{metadata.ErrNameUnknown, CodeNameUnknown, 0},
	{metadata.ErrBlobUnknown, CodeBlobUnknown, 0},
	{blobstore.ErrNotFound, CodeBlobUnknown, 0},
	{metadata.ErrUploadUnknown, CodeBlobUploadUnknown, 0},
	{blobstore.ErrUploadGone, CodeBlobUploadUnknown, 0},
	{metadata.ErrConflict, CodeBlobUploadInvalid, http.StatusRequestedRangeNotSatisfiable},
	{blobstore.ErrDigestMismatch, CodeDigestInvalid, 0},
	{blobstore.ErrSizeMismatch, CodeSizeInvalid, 0},
	{ErrUnauthorized, CodeUnauthorized, 0},
	{ErrDenied, CodeDenied, 0},
	{ErrUnsupported, CodeUnsupported, 0},
	{errdef.ErrUnsupported, CodeUnsupported, 0},
}

// codeOf finds the code and HTTP status for err; ok is false for unexpected (internal) errors.
func codeOf(err error) (code Code, status int, ok bool) {
	for _, e := range errorCodes {
		if errors.Is(err, e.err) {
			status = e.status
			if status == 0 {
				status = e.code.Status()
			}
			return e.code, status, true
		}
	}
	return "", http.StatusInternalServerError, false
}

type errorBody struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

// writeError answers err as the spec's JSON error body with the code's status. Internal
// errors are 500 with code UNKNOWN and logged by the caller.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, status, ok := codeOf(err)
	if !ok {
		code = "UNKNOWN"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	json.NewEncoder(w).Encode(errorBody{Errors: []errorItem{{Code: code, Message: err.Error()}}})
}

// errf wraps a sentinel with context: errf(ErrBlobUnknown, "%s", d).
func errf(sentinel error, format string, a ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), sentinel)
}
