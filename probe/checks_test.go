package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// ownRegistry serves the project's registry handler, wrapped by mw (nil: as is).
func ownRegistry(t *testing.T, mw func(http.Handler) http.Handler) string {
	t.Helper()
	fs, err := registry.Open(t.Context(), t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	var h http.Handler = registry.New(fs, registry.Options{})
	if mw != nil {
		h = mw(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func statuses(rep Report) map[string]Result {
	m := map[string]Result{}
	for _, r := range rep.Results {
		m[r.ID] = r
	}
	return m
}

func TestEveryCheckPassesOnOwnRegistry(t *testing.T) {
	host := ownRegistry(t, nil)
	rep := Run(context.Background(), Options{Registry: host, MaxBlob: 4 << 20, Timeout: 30 * time.Second})
	for _, r := range rep.Results {
		if r.Status != Pass {
			t.Errorf("%s: %s %q\n  %s", r.ID, r.Status, r.Summary, strings.Join(r.Evidence, "\n  "))
		}
		if len(r.Leftovers) > 0 {
			t.Errorf("%s left %v", r.ID, r.Leftovers)
		}
	}
	if len(rep.Results) != len(Checks()) {
		t.Errorf("%d results for %d checks", len(rep.Results), len(Checks()))
	}
	// Nothing pushed is still reachable: every tag list of the scratch repositories is empty.
	for _, repo := range []string{rep.Repository, rep.Repository + "-src"} {
		resp, err := http.Get("http://" + host + "/v2/" + repo + "/tags/list")
		if err != nil {
			t.Fatal(err)
		}
		var tl tagList
		json.NewDecoder(resp.Body).Decode(&tl)
		resp.Body.Close()
		if len(tl.Tags) > 0 {
			t.Errorf("%s still has tags %v", repo, tl.Tags)
		}
	}
}

// A registry that hangs on one endpoint costs one check its time limit; the others still run.
func TestHangingPatchFailsOnlyChunkedChecks(t *testing.T) {
	host := ownRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch {
				// Read the chunk, so the server notices when the client gives up, then hang.
				io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-time.After(20 * time.Second):
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	only := []string{"upload-chunked", "upload-monolithic", "range", "upload-cancel"}
	rep := Run(context.Background(), Options{Registry: host, Timeout: 2 * time.Second, Only: only})
	got := statuses(rep)
	for _, id := range []string{"upload-chunked", "upload-cancel"} {
		if r := got[id]; r.Status != Fail || !strings.Contains(r.Summary, "timed out after 2s") {
			t.Errorf("%s: %s %q, want a timeout", id, r.Status, r.Summary)
		}
	}
	for _, id := range []string{"upload-monolithic", "range"} {
		if r := got[id]; r.Status != Pass {
			t.Errorf("%s: %s %q, want pass despite the hanging PATCH", id, r.Status, r.Summary)
		}
	}
}

// Checks catch misbehaviour: a registry that re-serializes manifests, ignores Range, drops
// Docker-Content-Digest, and refuses deletes (leaving what the probe pushed).
func TestChecksDetectMisbehaviour(t *testing.T) {
	host := ownRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete && !strings.Contains(r.URL.Path, "/uploads/") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusMethodNotAllowed)
				w.Write([]byte(`{"errors":[{"code":"UNSUPPORTED","message":"no deletes here"}]}`))
				return
			}
			r.Header.Del("Range")
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") && rec.Code == http.StatusOK {
				var buf bytes.Buffer
				if json.Compact(&buf, body) == nil {
					body = buf.Bytes()
				}
			}
			for k, v := range rec.Header() {
				if k != "Docker-Content-Digest" && k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	})
	only := []string{"artifact-type", "eo-layers", "range", "digest-header", "delete-tag", "delete-manifest", "delete-blob"}
	rep := Run(context.Background(), Options{Registry: host, Timeout: 10 * time.Second, Only: only})
	got := statuses(rep)
	want := map[string]struct {
		status  Status
		summary string
	}{
		"artifact-type":   {Fail, "manifest changed"},
		"eo-layers":       {Fail, "manifest changed"},
		"range":           {Unsupported, "Range ignored"},
		"digest-header":   {Unsupported, "absent on HEAD manifest by tag"},
		"delete-tag":      {Unsupported, "405 UNSUPPORTED"},
		"delete-manifest": {Unsupported, "405 UNSUPPORTED"},
		"delete-blob":     {Unsupported, "405 UNSUPPORTED"},
	}
	for id, w := range want {
		r := got[id]
		if r.Status != w.status || !strings.Contains(r.Summary, w.summary) {
			t.Errorf("%s: %s %q, want %s containing %q", id, r.Status, r.Summary, w.status, w.summary)
		}
	}
	if left := got["delete-blob"].Leftovers; len(left) != 1 || !strings.Contains(left[0], "DELETE → 405 UNSUPPORTED") {
		t.Errorf("delete-blob leftovers %v, want the refused blob", left)
	}
	var md bytes.Buffer
	if err := Render(&md, "markdown", []Report{rep}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "could not delete") {
		t.Errorf("markdown footer does not list leftovers:\n%s", md.String())
	}
}

// A token-auth registry (the distribution token flow, as Docker Hub and GHCR use): the probe
// names the realm and, with credentials, gets one token covering pull, push and delete on
// both scratch repositories.
func TestBearerTokenRegistry(t *testing.T) {
	var scopes []string
	var tokenHost string
	host := ownRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				scopes = append(scopes, r.URL.Query()["scope"]...)
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"token":"tok"}`))
				return
			}
			if r.Header.Get("Authorization") != "Bearer tok" {
				w.Header().Set("Www-Authenticate", `Bearer realm="http://`+tokenHost+`/token",service="probe-test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	tokenHost = host
	cred := func(context.Context, string) (auth.Credential, error) {
		return auth.Credential{Username: "alice", Password: "s3cret"}, nil
	}
	rep := Run(context.Background(), Options{Registry: host, Repository: "team/scratch", Credential: cred,
		Only: []string{"artifact-type", "mount-from"}, Timeout: 10 * time.Second})
	got := statuses(rep)
	wantAuth := "bearer realm=http://" + host + "/token service=probe-test"
	if a := got["auth"]; a.Status != Pass || a.Summary != wantAuth {
		t.Errorf("auth: %s %q, want pass %q", a.Status, a.Summary, wantAuth)
	}
	for _, id := range []string{"artifact-type", "mount-from"} {
		if r := got[id]; r.Status != Pass {
			t.Errorf("%s: %s %q", id, r.Status, r.Summary)
		}
	}
	joined := strings.Join(scopes, " ")
	for _, want := range []string{"repository:team/scratch:delete,pull,push", "repository:team/scratch-src:delete,pull,push"} {
		if !strings.Contains(joined, want) {
			t.Errorf("token scopes %q lack %q", joined, want)
		}
	}

	// Without credentials the token endpoint refuses: auth fails, the rest is skipped.
	rep = Run(context.Background(), Options{Registry: host, Only: []string{"artifact-type"}, Timeout: 10 * time.Second})
	got = statuses(rep)
	if a := got["auth"]; a.Status != Fail || !strings.HasPrefix(a.Summary, "bearer realm=") {
		t.Errorf("auth without credentials: %s %q", a.Status, a.Summary)
	}
	if r := got["artifact-type"]; r.Status != Skip {
		t.Errorf("artifact-type without credentials: %s %q", r.Status, r.Summary)
	}
}

// Size limits are measured: manifests over 1 MiB get 413, blob uploads over 2 MiB have
// their connection dropped (as a proxy does).
func TestLimitsAreMeasured(t *testing.T) {
	host := ownRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && r.ContentLength > 1<<20:
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				w.Write([]byte(`{"errors":[{"code":"SIZE_INVALID","message":"manifest too big"}]}`))
			case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/uploads/") && r.ContentLength > 2<<20:
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			default:
				next.ServeHTTP(w, r)
			}
		})
	})
	rep := Run(context.Background(), Options{Registry: host, MaxBlob: 8 << 20, Timeout: 30 * time.Second,
		Only: []string{"manifest-size", "blob-size"}})
	got := statuses(rep)
	if r := got["manifest-size"]; r.Status != Fail ||
		r.Summary != "accepts 1 MiB, refuses 1.02 MiB (413 SIZE_INVALID); the spec asks for 4 MiB" {
		t.Errorf("manifest-size: %s %q", r.Status, r.Summary)
	}
	if r := got["blob-size"]; r.Status != Unsupported || !strings.HasPrefix(r.Summary, "largest 2 MiB (8 MiB → ") ||
		!strings.Contains(r.Summary, ", 4 MiB → ") {
		t.Errorf("blob-size: %s %q", r.Status, r.Summary)
	}
}
