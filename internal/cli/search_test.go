package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/stacapi"
	"github.com/eopack/eopack/stacindex"
)

// searchAPI serves the project's STAC API on httptest over an index file of n products of
// repository eo/scenes (ids scene-0 …, one day apart from 2001-06-01, collection l7), and
// returns the API's root URL.
func searchAPI(t *testing.T, n int) string {
	t.Helper()
	ix, err := stacindex.OpenFile(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	for i := range n {
		item := fmt.Sprintf(`{"type":"Feature","stac_version":"1.1.0","id":"scene-%d","collection":"l7","bbox":[-35,-8.1,-34.8,-7.9],
			"geometry":{"type":"Polygon","coordinates":[[[-35,-8.1],[-34.8,-8.1],[-34.8,-7.9],[-35,-7.9],[-35,-8.1]]]},
			"properties":{"datetime":"2001-06-%02dT12:00:00Z","eo:cloud_cover":%d},"links":[],
			"assets":{"B1":{"href":"B1.tif","type":"image/tiff"}}}`, i, i+1, i*10)
		e := stacindex.Entry{Repo: "eo/scenes", Digest: digest.FromString(item), Tags: []string{fmt.Sprintf("v%d", i)},
			Created: time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC), Item: json.RawMessage(item),
			Assets: map[string]stacindex.Blob{"B1": {Digest: digest.FromString("band " + item), Size: 10, MediaType: "image/tiff"}}}
		if err := ix.Put(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/stac/", http.StripPrefix("/stac", stacapi.Handler(ix, stacapi.Options{Registry: "reg.example"})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/stac/"
}

func TestSearchFormats(t *testing.T) {
	api := searchAPI(t, 5)
	// refs, across pages of one item, newest first by default.
	out := verbsMust(t, "", "search", api, "--limit", "1", "--format", "refs")
	refs := strings.Fields(out)
	if len(refs) != 5 || !strings.HasPrefix(refs[0], "reg.example/eo/scenes@sha256:") {
		t.Fatalf("refs %q", out)
	}
	// The default API comes from the environment; the table; a filter sent as cql2-json in POST.
	t.Setenv(searchAPIEnv, api)
	out = verbsMust(t, "", "search", "--filter", "eo:cloud_cover >= 20", "--sortby", "+datetime", "--limit", "2")
	want := "ID       DATETIME              COLLECTION  REFERENCE\n" +
		"scene-2  2001-06-03T12:00:00Z  l7          " + refs[2] + "\n" +
		"scene-3  2001-06-04T12:00:00Z  l7          " + refs[1] + "\n" +
		"scene-4  2001-06-05T12:00:00Z  l7          " + refs[0] + "\n"
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
	// json: one ItemCollection; --max-items stops early and says so on stderr.
	stdout, stderr, code := verbsRun(t, "", "search", "--format", "json", "--max-items", "3", "--datetime", "2001-06")
	var fc struct {
		Type          string
		Features      []struct{ ID string }
		NumberMatched int
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &fc) != nil || fc.Type != "FeatureCollection" || len(fc.Features) != 3 || fc.NumberMatched != 5 {
		t.Errorf("json: exit %d, %s", code, stdout)
	}
	if stderr != "Showing the first 3 items of 5: --max-items N for more, 0 for all\n" {
		t.Errorf("stderr %q", stderr)
	}
	// bbox and ids.
	if out := verbsMust(t, "", "search", "--bbox", "-34.9,-8,-34.85,-7.95", "--ids", "scene-1,scene-9", "--format", "refs"); out != refs[3]+"\n" {
		t.Errorf("bbox + ids: %q", out)
	}
	if out := verbsMust(t, "", "search", "--bbox", "10,10,11,11"); out != "ID  DATETIME  COLLECTION  REFERENCE\n" {
		t.Errorf("nothing found: %q", out)
	}
	// The API's errors come back as one line.
	verbsFail(t, exitError, "", []string{"search", "--sortby", "nosuchfield"}, "400", "nosuchfield")
}

func TestSearchUsage(t *testing.T) {
	t.Setenv(searchAPIEnv, "")
	geo := filepath.Join(t.TempDir(), "area.geojson")
	os.WriteFile(geo, []byte(`{"type":"Feature","geometry":null}`), 0o644)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"search"}, "no STAC API given: pass its URL or set " + searchAPIEnv},
		{[]string{"search", "localhost:5000"}, "want the http(s) URL of a STAC API"},
		{[]string{"search", "http://h/", "--format", "csv"}, `--format "csv": want table, json or refs`},
		{[]string{"search", "http://h/", "--bbox", "1,2,3"}, "--bbox: bbox \"1,2,3\": want 4 numbers"},
		{[]string{"search", "http://h/", "--bbox", "1,2,3,4", "--intersects", geo}, "cannot be used together"},
		{[]string{"search", "http://h/", "--intersects", geo}, "the Feature has no geometry"},
		{[]string{"search", "http://h/", "--datetime", "June"}, "--datetime"},
		{[]string{"search", "http://h/", "--filter", "eo:cloud_cover <"}, "--filter"},
		{[]string{"search", "http://h/", "--sortby", ",-"}, "--sortby"},
		{[]string{"search", "http://h/", "--max-items", "-1"}, "positive"},
	} {
		verbsFail(t, exitUsage, "", c.args, c.msg)
	}
}
