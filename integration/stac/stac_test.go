package stac

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

const (
	geojson = "application/geo+json"
	jsonT   = "application/json"
	// east is a box that only the whole Landsat scene and the DEM cover; westBox is covered by all three products.
	east    = "-34.87,-8.0,-34.85,-7.98"
	westBox = "-34.91,-8.0,-34.90,-7.98"
)

func sha(t *testing.T, b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestSearchServe pushes three products to eopack serve and uses the STAC API as a client
// would: search by bbox, date, geometry and CQL2, page through, follow every link down to
// the bytes of a band and the manifest, and see retags and deletes reflected at once.
func TestSearchServe(t *testing.T) {
	l7, west, dem := products(t)
	srv := testpeer.StartServe(t, "")
	host := srv.Addr
	push(t, l7, host+"/eo/landsat:v1")
	push(t, west, host+"/eo/landsat:west")
	push(t, dem, host+"/eo/dem:v1")
	base := "http://" + host + "/stac"

	landing := getJSON(t, base+"/", jsonT)
	if landing["type"] != "Catalog" || href(t, landing, "search") != base+"/search" {
		t.Fatalf("landing %v", landing)
	}
	if status, h, _ := testpeer.HTTP(t, "GET", "http://"+host+"/", nil); status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("the page at /: %d %s", status, h.Get("Content-Type"))
	}

	// Search by place and time, GET and POST.
	for q, want := range map[string][]string{
		"bbox=" + east + "&datetime=2001-01-01T00:00:00Z/2001-12-31T23:59:59Z": {"l7-olinda"},
		"bbox=" + westBox + "&datetime=../2005-01-01T00:00:00Z":                {"l7-olinda-west", "l7-olinda"},
		"bbox=" + westBox:                     {"olinda-dem", "l7-olinda-west", "l7-olinda"},
		"datetime=2010-03-01T00:00:00Z":       {"olinda-dem"},
		"collections=landsat-7&sortby=id":     {"l7-olinda", "l7-olinda-west"},
		"ids=olinda-dem,l7-olinda&sortby=-id": {"olinda-dem", "l7-olinda"},
		"bbox=10,10,11,11":                    {},
		"filter=" + url.QueryEscape("datetime > TIMESTAMP('2005-01-01T00:00:00Z')"):                            {"olinda-dem"},
		"filter=" + url.QueryEscape("S_INTERSECTS(geometry, POINT(-34.86 -8.0)) AND collection = 'landsat-7'"): {"l7-olinda"},
	} {
		if got := ids(getJSON(t, base+"/search?"+q, geojson)); !slices.Equal(got, want) {
			t.Errorf("search?%s = %v, want %v", q, got, want)
		}
	}
	body := `{"collections":["landsat-7"],"sortby":[{"field":"datetime","direction":"asc"}],
		"intersects":{"type":"Polygon","coordinates":[[[-34.915,-8.0],[-34.9,-8.0],[-34.9,-7.99],[-34.915,-7.99],[-34.915,-8.0]]]},
		"filter":{"op":"t_before","args":[{"property":"datetime"},{"timestamp":"2001-07-01T00:00:00Z"}]}}`
	if got := ids(decode(t, "POST", base+"/search", []byte(body), geojson)); !slices.Equal(got, []string{"l7-olinda"}) {
		t.Errorf("POST search = %v", got)
	}
	status, _, b := testpeer.HTTP(t, "GET", base+"/search?bbox="+east+"&intersects="+url.QueryEscape(`{"type":"Point","coordinates":[0,0]}`), nil)
	var e map[string]any
	if json.Unmarshal(b, &e); status != 400 || e["code"] == nil || e["description"] == nil {
		t.Errorf("bbox + intersects: %d %s", status, b)
	}

	// Paging through everything with limit=1.
	var all []string
	fc := getJSON(t, base+"/search?limit=1", geojson)
	if fc["numberMatched"] != 3.0 {
		t.Errorf("numberMatched %v", fc["numberMatched"])
	}
	for range 10 {
		all = append(all, ids(fc)...)
		next := ""
		for _, l := range fc["links"].([]any) {
			if m := l.(map[string]any); m["rel"] == "next" {
				next = m["href"].(string)
			}
		}
		if next == "" {
			break
		}
		fc = getJSON(t, next, geojson)
	}
	if !slices.Equal(all, []string{"olinda-dem", "l7-olinda-west", "l7-olinda"}) {
		t.Errorf("paged through %v", all)
	}

	// Follow the links of an item down to its bytes.
	item := ids(getJSON(t, base+"/search?ids=l7-olinda", geojson))
	if len(item) != 1 {
		t.Fatalf("ids=l7-olinda: %v", item)
	}
	it := getJSON(t, base+"/collections/landsat-7/items/l7-olinda", geojson)
	if self := getJSON(t, href(t, it, "self"), geojson); self["id"] != "l7-olinda" {
		t.Errorf("self link: %v", self["id"])
	}
	col := getJSON(t, href(t, it, "collection"), jsonT)
	if col["id"] != "landsat-7" || getJSON(t, href(t, it, "root"), jsonT)["type"] != "Catalog" {
		t.Errorf("collection link %v", col["id"])
	}
	props := it["properties"].(map[string]any)
	if props["proj:epsg"] != 31985.0 || !slices.Contains(toStrings(props["eopack:tags"]), "v1") {
		t.Errorf("properties %v", props)
	}
	ref := props["eopack:reference"].(string)
	if !strings.HasPrefix(ref, host+"/eo/landsat@sha256:") {
		t.Errorf("eopack:reference %s", ref)
	}
	band := it["assets"].(map[string]any)["B2"].(map[string]any)
	want, _ := os.ReadFile(filepath.Join(l7.Dir, "B2.tif"))
	status, h, got := testpeer.HTTP(t, "GET", band["href"].(string), nil)
	if status != 200 || sha(t, got) != sha(t, want) || band["eopack:digest"] != "sha256:"+sha(t, want) || band["eopack:size"] != float64(len(want)) {
		t.Errorf("asset B2 %v: %d, %d bytes", band, status, len(got))
	}
	status, h, got = testpeer.HTTP(t, "GET", band["href"].(string), nil, "Range", "bytes=0-99", "Origin", "https://browser.example")
	if status != 206 || string(got) != string(want[:100]) || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("ranged cross-origin GET of B2: %d %v", status, h)
	}
	digest := ref[strings.Index(ref, "@")+1:]
	for _, l := range it["links"].([]any) {
		m := l.(map[string]any)
		if m["rel"] != "alternate" {
			continue
		}
		status, h, _ := testpeer.HTTP(t, "GET", m["href"].(string), nil, "Accept", "application/vnd.oci.image.manifest.v1+json")
		if status != 200 || h.Get("Docker-Content-Digest") != digest {
			t.Errorf("manifest link %s: %d %s", m["href"], status, h.Get("Docker-Content-Digest"))
		}
	}
	out := t.TempDir()
	testpeer.Run(t, "", testpeer.Eopack(t), "pull", ref, "-o", out)
	if b, _ := os.ReadFile(filepath.Join(out, "B2.tif")); sha(t, b) != sha(t, want) {
		t.Errorf("pull %s: B2.tif differs", ref)
	}

	// Collections: the DEM, pushed without one, is in a collection of its own.
	cols := getJSON(t, base+"/collections", jsonT)["collections"].([]any)
	if len(cols) != 2 {
		t.Fatalf("%d collections", len(cols))
	}
	var demCol map[string]any
	for _, c := range cols {
		if m := c.(map[string]any); m["id"] != "landsat-7" {
			demCol = m
		}
	}
	if got := ids(getJSON(t, href(t, demCol, "items"), geojson)); !slices.Equal(got, []string{"olinda-dem"}) {
		t.Errorf("items of %v: %v", demCol["id"], got)
	}
	// A pushed STAC Collection document (an artifact of its own) gives the collection its
	// title, license and providers; the computed summaries stay.
	doc := `{"type":"Collection","stac_version":"1.1.0","id":"landsat-7","title":"Landsat 7 over Olinda",
		"description":"Landsat 7 ETM+ scenes","license":"CC0-1.0","providers":[{"name":"USGS","roles":["producer"]}],
		"extent":{"spatial":{"bbox":[[-180,-90,180,90]]},"temporal":{"interval":[["1999-04-15T00:00:00Z",null]]}},"links":[]}`
	docDir := t.TempDir()
	os.WriteFile(filepath.Join(docDir, "collection.json"), []byte(doc), 0o644)
	testpeer.Run(t, docDir, testpeer.Eopack(t), "push", host+"/eo/landsat-7-collection:v1",
		"--artifact-type", "application/vnd.eopack.stac.collection.v1+json", "collection.json:application/json")
	col = getJSON(t, base+"/collections/landsat-7", jsonT)
	if col["title"] != "Landsat 7 over Olinda" || col["license"] != "CC0-1.0" || col["providers"] == nil ||
		col["summaries"].(map[string]any)["proj:code"] == nil || href(t, col, "items") != base+"/collections/landsat-7/items" {
		t.Errorf("landsat-7 with its document: %v", col)
	}

	// The validator skips ItemCollections ("not supported yet"): the features of one are
	// validated as the items they are.
	docs := map[string]any{"item": it, "collection": col, "collection-dem": demCol}
	for i, f := range getJSON(t, base+"/search", geojson)["features"].([]any) {
		docs[fmt.Sprintf("search-feature-%d", i)] = f
	}
	validate(t, docs)

	// The same item pushed again (another manifest) is still one item: the newest push, with
	// the earlier one linked.
	first := getJSON(t, base+"/collections/"+url.PathEscape(demCol["id"].(string))+"/items/olinda-dem", geojson)
	testpeer.Run(t, dem.Dir, testpeer.Eopack(t), "push", host+"/eo/dem:v2", "--stac", "item.json", "-a", "note=reprocessed")
	fc = getJSON(t, base+"/search?ids=olinda-dem", geojson)
	if got := ids(fc); len(got) != 1 {
		t.Fatalf("olinda-dem pushed twice: %v", got)
	}
	second := fc["features"].([]any)[0].(map[string]any)
	oldRef := first["properties"].(map[string]any)["eopack:reference"].(string)
	newRef := second["properties"].(map[string]any)["eopack:reference"].(string)
	if oldRef == newRef || !slices.Equal(toStrings(second["properties"].(map[string]any)["eopack:tags"]), []string{"v2"}) {
		t.Errorf("second push: %s (was %s), tags %v", newRef, oldRef, second["properties"].(map[string]any)["eopack:tags"])
	}
	if pred := href(t, second, "predecessor-version"); !strings.HasSuffix(pred, "/v2/eo/dem/manifests/"+oldRef[strings.Index(oldRef, "@")+1:]) {
		t.Errorf("predecessor-version %s, want the manifest of %s", pred, oldRef)
	}

	// A new tag and a delete show at once.
	testpeer.Run(t, "", testpeer.Eopack(t), "tag", host+"/eo/landsat:v1", "latest")
	tags := toStrings(getJSON(t, base+"/collections/landsat-7/items/l7-olinda", geojson)["properties"].(map[string]any)["eopack:tags"])
	slices.Sort(tags)
	if !slices.Equal(tags, []string{"latest", "v1"}) {
		t.Errorf("tags after tagging: %v", tags)
	}
	testpeer.Run(t, "", testpeer.Eopack(t), "manifest", "delete", "--force", host+"/eo/landsat:west")
	if got := ids(getJSON(t, base+"/search?collections=landsat-7", geojson)); !slices.Equal(got, []string{"l7-olinda"}) {
		t.Errorf("after deleting the west product: %v", got)
	}
	if status, _, _ := testpeer.HTTP(t, "GET", base+"/collections/landsat-7/items/l7-olinda-west", nil); status != 404 {
		t.Errorf("deleted item: %d", status)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestPrivateServe: with --private, the STAC API and the page need the same credentials as
// pulls.
func TestPrivateServe(t *testing.T) {
	srv := testpeer.StartServe(t, "", "--htpasswd", testpeer.WriteHtpasswd(t, "eo", "pw"), "--private")
	for _, path := range []string{"/stac/", "/stac/search", "/"} {
		if status, h, _ := testpeer.HTTP(t, "GET", "http://"+srv.Addr+path, nil); status != 401 || h.Get("WWW-Authenticate") == "" {
			t.Errorf("anonymous %s: %d", path, status)
		}
		req, _ := http.NewRequest("GET", "http://"+srv.Addr+path, nil)
		req.SetBasicAuth("eo", "pw")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("authenticated %s: %d", path, resp.StatusCode)
		}
	}
}
