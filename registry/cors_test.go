package registry

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestCORSOnPulls: blob and manifest GET/HEAD from another origin get
// Access-Control-Allow-Origin and expose the headers a ranged reader needs; preflights for
// a Range GET are answered, even on a private registry; writes get no CORS grant.
func TestCORSOnPulls(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	desc := tr.pushBlob("eo/products", []byte("0123456789"))
	blob := "/v2/eo/products/blobs/" + desc.Digest.String()
	r := tr.do("GET", blob, nil, "Origin", "https://page.example", "Range", "bytes=2-4")
	if r.status != http.StatusPartialContent || string(r.body) != "234" {
		t.Fatalf("ranged GET: %d %q", r.status, r.body)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("GET: Access-Control-Allow-Origin %q", r.header.Get("Access-Control-Allow-Origin"))
	}
	exposed := strings.ToLower(r.header.Get("Access-Control-Expose-Headers"))
	for _, h := range []string{"content-range", "content-length", "accept-ranges", "docker-content-digest"} {
		if !strings.Contains(exposed, h) {
			t.Errorf("%s not exposed: %q", h, exposed)
		}
	}
	r = tr.do("HEAD", blob, nil, "Origin", "https://page.example")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("HEAD: %d %v", r.status, r.header)
	}
	r = tr.do("POST", "/v2/eo/products/blobs/uploads/", nil, "Origin", "https://page.example")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a push got a CORS grant")
	}

	dir := t.TempDir()
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	os.WriteFile(filepath.Join(dir, "htpasswd"), []byte("eo:"+string(hash)+"\n"), 0o600)
	a, err := LoadHtpasswd(filepath.Join(dir, "htpasswd"))
	if err != nil {
		t.Fatal(err)
	}
	private := newTestRegistry(t, Options{Auth: a, Private: true})
	r = private.do("OPTIONS", blob, nil, "Origin", "https://page.example",
		"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization,range") // sorted, as browsers send them
	if r.status/100 != 2 || r.header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), "range") {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	r = private.do("OPTIONS", "/v2/eo/products/blobs/uploads/", nil, "Origin", "https://page.example",
		"Access-Control-Request-Method", "POST")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of a push granted: %v", r.header)
	}
}

// TestReadAuth: what ReadAuth guards follows the pull rule: open without --private, basic
// auth with it (preflights pass).
func TestReadAuth(t *testing.T) {
	dir := t.TempDir()
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	os.WriteFile(filepath.Join(dir, "htpasswd"), []byte("eo:"+string(hash)+"\n"), 0o600)
	a, err := LoadHtpasswd(filepath.Join(dir, "htpasswd"))
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	for _, c := range []struct {
		private         bool
		user, pass, mth string
		want            int
	}{
		{false, "", "", "GET", http.StatusTeapot},
		{true, "", "", "GET", http.StatusUnauthorized},
		{true, "eo", "wrong", "GET", http.StatusUnauthorized},
		{true, "eo", "pw", "GET", http.StatusTeapot},
		{true, "", "", "OPTIONS", http.StatusTeapot},
	} {
		h := (&Handler{opt: Options{Auth: a, Private: c.private}}).ReadAuth(ok)
		req := httptest.NewRequest(c.mth, "/stac/search", nil)
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pass)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%+v: %d", c, rec.Code)
		}
		if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%+v: no challenge", c)
		}
	}
}
