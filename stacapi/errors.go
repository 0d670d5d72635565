package stacapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/eopack/eopack/cql2"
	"github.com/eopack/eopack/stacindex"
)

// apiError is an error the API answers with its own status and code.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// badRequest is a 400 with a one-line description.
func badRequest(format string, a ...any) error {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

// notFound is a 404 with a one-line description.
func notFound(format string, a ...any) error {
	return &apiError{http.StatusNotFound, fmt.Sprintf(format, a...)}
}

// codes names each status in the body's "code", as OGC API and STAC API servers do.
var codes = map[int]string{
	http.StatusBadRequest:           "BadRequest",
	http.StatusNotFound:             "NotFound",
	http.StatusMethodNotAllowed:     "MethodNotAllowed",
	http.StatusNotAcceptable:        "NotAcceptable",
	http.StatusUnsupportedMediaType: "UnsupportedMediaType",
	http.StatusInternalServerError:  "InternalServerError",
}

// statusOf maps an error of a handler or of the index to an HTTP status: the index's
// ErrNotFound is 404, ErrBadQuery and a filter the evaluator does not support are 400,
// anything else is 500.
func statusOf(err error) int {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status
	case errors.Is(err, stacindex.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, stacindex.ErrBadQuery), errors.Is(err, cql2.ErrUnsupported):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// writeError answers err as {"code", "description"}. Internal errors are logged and
// described generically.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	desc := err.Error()
	if status == http.StatusInternalServerError {
		if s.o.Log != nil {
			s.o.Log.Printf("stac %s %s: %v", r.Method, r.URL.Path, err)
		}
		desc = "internal error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	json.NewEncoder(w).Encode(struct {
		Code        string `json:"code"`
		Description string `json:"description"`
	}{codes[status], desc})
}
