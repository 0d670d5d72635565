package probe

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// checkReach asks GET /v2/ without credentials and decides whether a registry answers.
// A registry answers 200 or 401 (distribution-spec "end-1"); it usually also sends
// Docker-Distribution-API-Version and a JSON body. A web page (200 text/html without the
// header) is not a registry.
func checkReach(ctx context.Context, e *Env) Result {
	r, err := e.doRaw(ctx, http.MethodGet, "/v2/")
	if err != nil {
		return fail("unreachable: %s", shortErr(err))
	}
	api := r.Header.Get("Docker-Distribution-Api-Version")
	ct := r.Header.Get("Content-Type")
	switch r.Status {
	case http.StatusOK:
		if api != "" || (strings.Contains(ct, "json") && json.Valid(r.Body)) {
			return pass("200 %s", orDefault(api, "(no API version header)"))
		}
		return fail("not a registry: GET /v2/ → 200 %s", orDefault(ct, "without content type"))
	case http.StatusUnauthorized:
		if r.Header.Get("Www-Authenticate") == "" {
			return fail("GET /v2/ → 401 without WWW-Authenticate")
		}
		return pass("401 %s", orDefault(api, "(no API version header)"))
	default:
		return fail("not a registry: GET /v2/ → %s %s", r, ct)
	}
}

// checkAuth names the auth scheme (from the anonymous challenges to GET /v2/ and to opening
// an upload) and whether the credentials given (or none) are accepted. It fails only on 401
// (missing or refused credentials); a 403 on push is reported by the push checks.
func checkAuth(ctx context.Context, e *Env) Result {
	raw, err := e.doRaw(ctx, http.MethodGet, "/v2/")
	if err != nil {
		return failErr("GET /v2/", err)
	}
	uploads := "/v2/" + e.Repo + "/blobs/uploads/"
	scheme := "anonymous"
	pushNeedsAuth := false
	if raw.Status == http.StatusUnauthorized {
		scheme = describeChallenge(raw.Header.Get("Www-Authenticate"))
	} else if p, err := e.doRaw(ctx, http.MethodPost, uploads); err == nil {
		switch p.Status {
		case http.StatusUnauthorized:
			pushNeedsAuth = true
			scheme = "anonymous pull; push " + describeChallenge(p.Header.Get("Www-Authenticate"))
		case http.StatusAccepted:
			e.trackUpload(p.Location())
		}
	}
	r, err := e.do(ctx, http.MethodGet, "/v2/", nil, nil)
	if err != nil {
		return fail("%s: %s", scheme, shortErr(err))
	}
	if r.Status != http.StatusOK {
		return fail("%s: credentials refused (%s)", scheme, r)
	}
	if pushNeedsAuth {
		p, err := e.do(ctx, http.MethodPost, uploads, bytesBody(nil), nil)
		if err != nil {
			return fail("%s: %s", scheme, shortErr(err))
		}
		if p.Status == http.StatusAccepted {
			e.trackUpload(p.Location())
		}
		if p.Status == http.StatusUnauthorized {
			return fail("%s: credentials refused for push (%s)", scheme, p)
		}
	}
	return pass("%s", scheme)
}

// describeChallenge turns a WWW-Authenticate header into "basic" or
// "bearer realm=… service=…".
func describeChallenge(h string) string {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	scheme = strings.ToLower(scheme)
	if scheme != "bearer" {
		return scheme
	}
	var keep []string
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if k == "realm" || k == "service" {
			keep = append(keep, k+"="+strings.Trim(v, `"`))
		}
	}
	return strings.TrimSpace("bearer " + strings.Join(keep, " "))
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
