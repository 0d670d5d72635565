package verbs

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

// tokenService is the token service of distribution's token auth: it grants every scope
// asked for with the identity token (OAuth2 grant_type=refresh_token) and refuses anything
// else. It logs one header, to show what reached it.
type tokenService struct {
	*httptest.Server
	headerLog
}

func newTokenService(t *testing.T, ca *testpeer.CA, service, identityToken, header string) *tokenService {
	t.Helper()
	s := &tokenService{headerLog: headerLog{name: header}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("grant_type") != "refresh_token" ||
			r.PostForm.Get("refresh_token") != identityToken {
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"unknown identity token"}]}`, http.StatusUnauthorized)
			return
		}
		access := []map[string]any{}
		for _, scope := range strings.Fields(strings.Join(r.PostForm["scope"], " ")) {
			typ, rest, _ := strings.Cut(scope, ":")
			i := strings.LastIndex(rest, ":")
			access = append(access, map[string]any{"type": typ, "name": rest[:i], "actions": strings.Split(rest[i+1:], ",")})
		}
		now := time.Now().Unix()
		jwt := ca.SignJWT(t, map[string]any{
			"iss": testpeer.TokenIssuer, "sub": "eo-operator", "aud": service, "exp": now + 300, "nbf": now - 10, "iat": now,
			"jti": time.Now().Format(time.RFC3339Nano), "access": access,
		})
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": jwt, "expires_in": 300})
	}))
	t.Cleanup(s.Close)
	return s
}

// --identity-token and --identity-token-stdin authenticate with a refresh token against a
// registry using token auth, as ORAS does; login stores it where ORAS finds it; --debug
// shows neither the identity token nor the access token; custom headers stay with the
// registry and do not reach the token service.
func TestIdentityToken(t *testing.T) {
	eopack, oras := peers(t)
	e := newEnv(t)
	ca := testpeer.NewCA(t)
	const secret = "id-t0ken-for-eo"
	tokens := newTokenService(t, ca, "eo-registry", secret, "X-Eo-Mission")
	reg := testpeer.StartDistributionTLS(t, testpeer.TLSOptions{TokenRealm: tokens.URL + "/token", TokenService: "eo-registry", TokenCA: ca})
	repo := reg.Addr + "/eo/token"
	e.write(t, "B04.tif", randomBytes(t, 20_000))

	e.fails(t, "", oras, []string{"push", "--plain-http", repo + ":v1", "B04.tif"})
	e.must(t, oras, "push", "--plain-http", "--identity-token", secret, repo+":v1", "B04.tif")
	both(t, e, eopack, oras, "resolve", "--plain-http", "--identity-token", secret, repo+":v1")
	var tags []string
	for _, bin := range []string{eopack, oras} {
		r := e.run(secret+"\n", bin, "repo", "tags", "--plain-http", "--identity-token-stdin", repo)
		if r.err != nil {
			t.Fatalf("%s repo tags --identity-token-stdin: %v\n%s", binName(bin), r.err, r.stderr)
		}
		tags = append(tags, r.stdout)
	}
	if tags[0] != "v1\n" || tags[1] != tags[0] {
		t.Errorf("repo tags: eopack %q, oras %q", tags[0], tags[1])
	}
	bothFail(t, e, eopack, oras, []string{"resolve", "--plain-http", "--identity-token", "wrong", repo + ":v1"}, "401")
	bothFail(t, e, eopack, oras, []string{"resolve", "--plain-http", "-u", "alice", "--identity-token", secret, repo + ":v1"},
		"--username, --identity-token cannot be used at the same time")
	bothFail(t, e, eopack, oras, []string{"resolve", "--plain-http", "-p", "pw", "--identity-token", secret, repo + ":v1"},
		"--password, --identity-token cannot be used at the same time")
	bothFail(t, e, eopack, oras, []string{"cp", "--from-plain-http", "--from-username", "alice", "--from-identity-token", secret, repo + ":v1", repo + ":v2"},
		"--from-username, --from-identity-token cannot be used at the same time")

	// eopack login stores the identity token; ORAS and eopack use it.
	if r := e.run(secret+"\n", eopack, "login", "--identity-token-stdin", reg.Addr); r.err != nil || r.stdout != "Login Succeeded\n" {
		t.Fatalf("eopack login --identity-token-stdin: %v %q %q", r.err, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(e.dockerConfig, "config.json")); !strings.Contains(string(b), `"identitytoken": "`+secret+`"`) {
		t.Errorf("config.json after login: %s", b)
	}
	both(t, e, eopack, oras, "resolve", "--plain-http", repo+":v1")
	e.must(t, eopack, "logout", "-d", reg.Addr)

	for _, bin := range []string{eopack, oras} {
		r := e.run("", bin, "resolve", "--plain-http", "-d", "-H", "X-Eo-Mission: sentinel-2", "--identity-token", secret, repo+":v1")
		if r.err != nil {
			t.Fatalf("%s resolve -d: %v\n%s", binName(bin), r.err, r.stderr)
		}
		if strings.Contains(r.stderr, secret) || strings.Contains(r.stderr, "eyJ") {
			t.Errorf("%s -d shows a token:\n%s", binName(bin), r.stderr)
		}
		if !strings.Contains(r.stderr, "Response body redacted due to potential credentials") {
			t.Errorf("%s -d: the token response is not redacted:\n%s", binName(bin), r.stderr)
		}
	}
	for _, agent := range []string{"eopack", "oras"} {
		if got := tokens.from(agent); len(got) > 0 {
			t.Errorf("%s sent X-Eo-Mission %q to the token service", agent, got)
		}
	}
}
