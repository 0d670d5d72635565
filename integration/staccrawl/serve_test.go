package staccrawl

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// eopack search against eopack serve's own STAC API: the products pushed are found by place,
// time and property, and pulled by the references printed.
func TestSearchServe(t *testing.T) {
	landsat, dem := makeProducts(t)
	e := newEo(t)
	reg := testpeer.StartServe(t, "")
	host := reg.Host()
	e.must("push", host+"/eo/l7-olinda:v1", "--stac", filepath.Join(landsat.Dir, "item.json"))
	e.must("push", host+"/eo/olinda-dem:2010", "--stac", filepath.Join(dem.Dir, "item.json"))
	api := "http://" + host + "/stac/"

	out := e.must("search", api, "--collections", "landsat-7,dem", "--datetime", "2009/..", "--format", "refs")
	refs := strings.Fields(out)
	if len(refs) != 1 || !strings.HasPrefix(refs[0], host+"/eo/olinda-dem@sha256:") {
		t.Fatalf("refs %q", out)
	}
	dst := t.TempDir()
	e.must("pull", refs[0], "-o", dst)
	testpeer.SameFile(t, filepath.Join(dem.Dir, "dem.tif"), filepath.Join(dst, "dem.tif"))

	table := e.must("search", api, "--intersects", writeGeoJSON(t, `{"type":"Point","coordinates":[-34.86,-8.02]}`), "--sortby", "id")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "l7-olinda ") || !strings.HasPrefix(lines[2], "olinda-dem ") {
		t.Errorf("table:\n%s", table)
	}
	if out := e.must("search", api, "--bbox", "10,10,11,11", "--format", "refs"); out != "" {
		t.Errorf("far away: %q", out)
	}
}

func writeGeoJSON(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "area.geojson")
	testpeer.WriteFile(t, p, []byte(s))
	return p
}

// An API that wants credentials gets the registry's: -u/-p, or what eopack login stored.
func TestSearchPrivateServe(t *testing.T) {
	_, dem := makeProducts(t)
	e := newEo(t)
	reg := testpeer.StartServe(t, "", "--htpasswd", testpeer.WriteHtpasswd(t, "eo", "secret"), "--private")
	host := reg.Host()
	e.must("push", "-u", "eo", "-p", "secret", host+"/eo/olinda-dem:2010", "--stac", filepath.Join(dem.Dir, "item.json"))
	api := "http://" + host + "/stac/"

	_, errOut, err := e.run("search", api)
	if err == nil || !strings.Contains(errOut, "401 Unauthorized: the API wants credentials: give -u/-p or run eopack login "+host) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("without credentials: %v %q", err, errOut)
	}
	if out := e.must("search", api, "-u", "eo", "-p", "secret", "--format", "refs"); !strings.HasPrefix(out, host+"/eo/olinda-dem@sha256:") {
		t.Errorf("with -u/-p: %q", out)
	}
	e.must("login", "-u", "eo", "-p", "secret", host)
	if out := e.must("search", api, "--format", "refs"); !strings.HasPrefix(out, host+"/eo/olinda-dem@sha256:") {
		t.Errorf("after login: %q", out)
	}
}
