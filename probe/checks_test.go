package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/registry"
)

// ownRegistry serves the project's registry handler, wrapped by mw (nil: as is).
func ownRegistry(t *testing.T, mw func(http.Handler) http.Handler) string {
	t.Helper()
	fs, err := registry.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
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
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	only := []string{"upload-chunked", "upload-monolithic", "range", "upload-cancel"}
	rep := Run(context.Background(), Options{Registry: host, Timeout: 500 * time.Millisecond, Only: only})
	got := statuses(rep)
	for _, id := range []string{"upload-chunked", "upload-cancel"} {
		if r := got[id]; r.Status != Fail || !strings.Contains(r.Summary, "timed out after 500ms") {
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
