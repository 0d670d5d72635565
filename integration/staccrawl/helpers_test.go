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
	"os/exec"
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

// product is a folder of COGs with the item eopack stac create wrote for them.
type product struct {
	Dir   string
	Files []string
}

// productsDir holds the products, made once for the package's tests (read-only to them).
var (
	productsDir  string
	productsOnce sync.Once
	landsatProd  product
	demProd      product
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
func makeProducts(t *testing.T) (landsat, dem product) {
	t.Helper()
	productsOnce.Do(func() { landsatProd, demProd = buildProducts(t) })
	if landsatProd.Dir == "" {
		t.Fatal("the products could not be made (see the first test that failed)")
	}
	return landsatProd, demProd
}

func buildProducts(t *testing.T) (landsat, dem product) {
	t.Helper()
	data := filepath.Join(testpeer.SharedDir(), "data")
	eopack := testpeer.Eopack(t)
	landsat = product{Dir: filepath.Join(productsDir, "l7-olinda")}
	dem = product{Dir: filepath.Join(productsDir, "olinda-dem")}
	for _, p := range []product{landsat, dem} {
		if err := os.Mkdir(p.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for b := 1; b <= 3; b++ {
		name := fmt.Sprintf("B%d.tif", b)
		gdal(t, "gdal_translate", "-q", "-b", fmt.Sprint(b), "-of", "COG", filepath.Join(data, "L7_ETMs.tif"), filepath.Join(landsat.Dir, name))
		landsat.Files = append(landsat.Files, name)
	}
	gdal(t, "gdal_translate", "-q", "-of", "COG", filepath.Join(data, "olinda_dem_utm25s.tif"), filepath.Join(dem.Dir, "dem.tif"))
	dem.Files = []string{"dem.tif"}
	testpeer.Run(t, landsat.Dir, eopack, append([]string{"stac", "create", "-o", "item.json", "--id", "l7-olinda",
		"--collection", "landsat-7", "--datetime", "2001-06-01T12:57:00Z"}, landsat.Files...)...)
	testpeer.Run(t, dem.Dir, eopack, "stac", "create", "-o", "item.json", "--id", "olinda-dem",
		"--collection", "dem", "--datetime", "2010-01-01T00:00:00Z", "dem.tif")
	return landsat, dem
}

// gdal runs a GDAL utility with sidecar probing and retries off, failing the test on error.
func gdal(t *testing.T, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testpeer.Bin(t, tool), args...)
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "CPL_") && !strings.HasPrefix(e, "GDAL_") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR", "GDAL_HTTP_MAX_RETRY=0", "GDAL_PAM_ENABLED=NO")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
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
