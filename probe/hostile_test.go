package probe

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// probeServer runs every check against srv and renders the text table, which must not fail.
func probeServer(t *testing.T, host string, timeout time.Duration) (Report, string) {
	t.Helper()
	rep := Run(context.Background(), Options{Registry: host, Timeout: timeout, MaxBlob: 1 << 20})
	var out bytes.Buffer
	if err := Render(&out, "text", []Report{rep}, true); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != len(Checks()) {
		t.Fatalf("%d results, want one per check (%d):\n%s", len(rep.Results), len(Checks()), out.String())
	}
	return rep, out.String()
}

func result(rep Report, id string) Result {
	for _, r := range rep.Results {
		if r.ID == id {
			return r
		}
	}
	return Result{}
}

func assertRestSkipped(t *testing.T, rep Report, from int, table string) {
	t.Helper()
	for _, r := range rep.Results[from:] {
		if r.Status != Skip {
			t.Errorf("%s: %s %q, want skip\n%s", r.ID, r.Status, r.Summary, table)
		}
	}
}

func TestProbeWebPageIsNotARegistry(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<html><body>Welcome to nginx!</body></html>"))
	}))
	defer srv.Close()
	rep, table := probeServer(t, srv.Listener.Addr().String(), 5*time.Second)
	reach := result(rep, "reach")
	if reach.Status != Fail || !strings.Contains(reach.Summary, "not a registry: GET /v2/ → 200 text/html") {
		t.Errorf("reach: %s %q\n%s", reach.Status, reach.Summary, table)
	}
	assertRestSkipped(t, rep, 1, table)
}

func TestProbeUnreachableHost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more
	rep, table := probeServer(t, addr, 5*time.Second)
	reach := result(rep, "reach")
	if reach.Status != Fail || !strings.Contains(reach.Summary, "unreachable") || !strings.Contains(reach.Summary, "refused") {
		t.Errorf("reach: %s %q\n%s", reach.Status, reach.Summary, table)
	}
	assertRestSkipped(t, rep, 1, table)
}

func TestProbeHangingRegistry(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers (until the client gives up)
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
	}))
	defer srv.Close()
	rep, table := probeServer(t, srv.Listener.Addr().String(), 300*time.Millisecond)
	reach := result(rep, "reach")
	if reach.Status != Fail || !strings.Contains(reach.Summary, "timed out after 300ms") {
		t.Errorf("reach: %s %q\n%s", reach.Status, reach.Summary, table)
	}
	assertRestSkipped(t, rep, 1, table)
}

// A registry that answers /v2/ but refuses every write (a read-only mirror, or a token
// without push rights) gives a full table of failures, not a crash, and nothing to clean up.
func TestProbeRegistryRefusingEveryPush(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/v2/" && r.Method == http.MethodGet:
			w.Write([]byte("{}"))
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}`))
		default:
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errors":[{"code":"DENIED","message":"read-only registry"}]}`))
		}
	}))
	defer srv.Close()
	rep, table := probeServer(t, srv.Listener.Addr().String(), 5*time.Second)
	for _, id := range []string{"reach", "auth"} {
		if r := result(rep, id); r.Status != Pass {
			t.Errorf("%s: %s %q\n%s", id, r.Status, r.Summary, table)
		}
	}
	for _, r := range rep.Results[2:] {
		if r.Status == Pass || r.Status == Skip {
			t.Errorf("%s: %s %q, want fail or unsupported", r.ID, r.Status, r.Summary)
		}
		if !strings.Contains(r.Summary, "403 DENIED") {
			t.Errorf("%s: summary %q does not show the refusal", r.ID, r.Summary)
		}
		if len(r.Leftovers) > 0 {
			t.Errorf("%s: leftovers %v after refused pushes", r.ID, r.Leftovers)
		}
	}
	if !strings.Contains(table, "every pushed manifest and blob deleted") {
		t.Errorf("footer:\n%s", table)
	}
}
