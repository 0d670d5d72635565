// Package staccrawl tests eopack stac index, eopack stac serve and eopack search end to end
// with real parts: two products made by GDAL from the shared data are pushed with
// push --stac to the pinned distribution registry behind token auth that grants anonymous
// pulls (as public registries do, so that every pull needs a token), crawled into an index
// file, crawled again after a retag and a delete, served, searched, pulled by the
// references the search prints, and read by GDAL through the pass-through.
package staccrawl

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

// anonymousPullTokens is a token service for distribution's token auth that gives anyone
// a pull token and the user eo (basic auth, password secret) every scope asked for: the
// situation of a public repository on GHCR or Docker Hub.
func anonymousPullTokens(t *testing.T, ca *testpeer.CA, service string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, authed := r.BasicAuth()
		if authed && (user != "eo" || pass != "secret") {
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
			return
		}
		access := []map[string]any{}
		for _, scope := range strings.Fields(strings.Join(r.URL.Query()["scope"], " ")) {
			typ, rest, _ := strings.Cut(scope, ":")
			i := strings.LastIndex(rest, ":")
			actions := strings.Split(rest[i+1:], ",")
			if !authed {
				actions = []string{}
				if typ == "repository" && strings.Contains(rest[i+1:], "pull") {
					actions = []string{"pull"}
				}
			}
			access = append(access, map[string]any{"type": typ, "name": rest[:i], "actions": actions})
		}
		now := time.Now().Unix()
		jwt := ca.SignJWT(t, map[string]any{
			"iss": testpeer.TokenIssuer, "sub": user, "aud": service, "exp": now + 300, "nbf": now - 10, "iat": now,
			"jti": fmt.Sprint(time.Now().UnixNano()), "access": access,
		})
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"token": jwt, "access_token": jwt, "expires_in": 300})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// productsDir holds the products, made once for the package's tests (read-only to them).
var (
	productsDir  string
	productsOnce sync.Once
	landsatProd  testpeer.Product
	demProd      testpeer.Product
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "staccrawl-products-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	productsDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// makeProducts returns two products made from the shared data, once per package: three
// Landsat 7 bands as COGs (collection landsat-7, 2001) and the Olinda DEM as a COG
// (collection dem, 2010).
func makeProducts(t *testing.T) (landsat, dem testpeer.Product) {
	t.Helper()
	productsOnce.Do(func() { landsatProd, demProd = buildProducts(t) })
	if landsatProd.Dir == "" {
		t.Fatal("the products could not be made (see the first test that failed)")
	}
	return landsatProd, demProd
}

func buildProducts(t *testing.T) (landsat, dem testpeer.Product) {
	t.Helper()
	landsat = testpeer.MakeProduct(t, filepath.Join(productsDir, "l7-olinda"), testpeer.ProductOptions{
		Bands: 3, ID: "l7-olinda", Collection: "landsat-7", Datetime: "2001-06-01T12:57:00Z"})
	dem = testpeer.MakeProduct(t, filepath.Join(productsDir, "olinda-dem"), testpeer.ProductOptions{
		DEM: true, ID: "olinda-dem", Collection: "dem", Datetime: "2010-01-01T00:00:00Z"})
	return landsat, dem
}

// eo runs eopack with a Docker config of the test's own, returning stdout and stderr apart.
type eo struct {
	t      *testing.T
	bin    string
	config string
}

func newEo(t *testing.T) *eo {
	return &eo{t: t, bin: testpeer.Eopack(t), config: t.TempDir()}
}

func (e *eo) run(args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := testpeer.Command(ctx, "", e.config, e.bin, args...)
	var o, s strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &s
	err = cmd.Run()
	return o.String(), s.String(), err
}

func (e *eo) must(args ...string) string {
	e.t.Helper()
	out, errOut, err := e.run(args...)
	if err != nil {
		e.t.Fatalf("eopack %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// startStacServe starts eopack stac serve with args, stopped when the test ends.
func (e *eo) startStacServe(args ...string) string {
	e.t.Helper()
	addr := testpeer.FreeAddr(e.t)
	cmd := testpeer.Command(context.Background(), "", e.config, e.bin, append([]string{"stac", "serve", "--addr", addr}, args...)...)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if e.t.Failed() {
			e.t.Logf("stac serve log:\n%s", log.String())
		}
	})
	if err := testpeer.WaitReady(addr, 30*time.Second); err != nil {
		e.t.Fatalf("stac serve: %v\n%s", err, log.String())
	}
	return addr
}
