package web

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eopack/eopack/internal/testpeer"
	"github.com/eopack/eopack/web/webtest"
)

// fixtureAPI is a tiny STAC API of static JSON (testdata/) that records the search bodies
// the page posts: page 1 holds item-a and a POST `next` link with merge; page 2 item-b.
type fixtureAPI struct {
	base     string // the server's URL, replacing BLOB/ in asset hrefs
	mu       sync.Mutex
	searches []map[string]any
	blobs    map[string][]byte
}

func (f *fixtureAPI) file(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.ReplaceAll(string(b), "BLOB/", f.base+"/blobs/"))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func (f *fixtureAPI) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /stac/collections", func(w http.ResponseWriter, r *http.Request) {
		reply(w, f.file(t, "collections.json"))
	})
	mux.HandleFunc("POST /stac/search", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"code":"BadRequest","description":"not JSON"}`, 400)
			return
		}
		f.mu.Lock()
		f.searches = append(f.searches, body)
		f.mu.Unlock()
		fc := map[string]any{"type": "FeatureCollection", "numberMatched": 2, "numberReturned": 1}
		if body["token"] == "page2" {
			fc["features"] = []any{f.file(t, "item-b.json")}
			fc["links"] = []any{}
		} else {
			fc["features"] = []any{f.file(t, "item-a.json")}
			fc["links"] = []any{map[string]any{"rel": "next", "href": f.base + "/stac/search", "method": "POST", "merge": true, "body": map[string]any{"token": "page2"}}}
		}
		reply(w, fc)
	})
	mux.HandleFunc("GET /stac/collections/landsat-7/items/L7-2001-07-03", func(w http.ResponseWriter, r *http.Request) {
		reply(w, f.file(t, "item-b.json"))
	})
	mux.HandleFunc("GET /stac/collections/{c}/items/{i}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		reply(w, map[string]string{"code": "NotFound", "description": "no item " + r.PathValue("i")})
	})
	mux.HandleFunc("GET /blobs/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(f.blobs[r.PathValue("name")])
	})
	return mux
}

// startPage serves Handler(o) at / and the fixture API at /stac/ on one server.
func startPage(t *testing.T, o Options) (*httptest.Server, *fixtureAPI) {
	f := &fixtureAPI{blobs: map[string][]byte{"b3": []byte("band three bytes"), "visual": []byte("rgb")}}
	mux := http.NewServeMux()
	mux.Handle("/", Handler(o))
	api := f.handler(t)
	mux.Handle("/stac/", api)
	mux.Handle("/blobs/", api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.base = srv.URL
	return srv, f
}

// checkLabels fails the test for a visible form control without a label and for a button
// or link without an accessible name.
func checkLabels(t *testing.T, b *testpeer.Browser) {
	t.Helper()
	bad := testpeer.Eval[[]string](b, `[...document.querySelectorAll('input, select, textarea, button, a')]
		.filter(e => e.offsetParent !== null && !e.closest('.leaflet-control-attribution'))
		.filter(e => ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName)
			? e.labels.length === 0 && !e.getAttribute('aria-label')
			: !(e.getAttribute('aria-label') || e.textContent.trim() || e.title))
		.map(e => e.outerHTML.slice(0, 80))`)
	if len(bad) > 0 {
		t.Errorf("controls without a label or name: %q", bad)
	}
}

func TestPageSearchesAndShowsItem(t *testing.T) {
	srv, api := startPage(t, Options{STACPath: "/stac/", Title: "Test archive"})
	b := testpeer.Chromium(t)
	b.Do(chromedp.Navigate(srv.URL + "/"))
	b.WaitFor(`document.body.dataset.ready === 'true'`)
	if got := testpeer.Eval[string](b, `document.title`); got != "Test archive" {
		t.Errorf("title = %q", got)
	}
	// collections: in the select, in the list, and their extents on the map
	opts := testpeer.Eval[[]string](b, `[...document.querySelectorAll('#collections option')].map(o => o.value)`)
	if strings.Join(opts, ",") != "landsat-7,dem" {
		t.Errorf("collection options = %v", opts)
	}
	if n := testpeer.Eval[int](b, `eopack.map.getPane('overlayPane').querySelectorAll('path[stroke-dasharray]').length`); n != 2 {
		t.Errorf("collection extents drawn: %d, want 2", n)
	}
	// no base map: no tiles, a graticule
	if n := testpeer.Eval[int](b, `document.querySelectorAll('.leaflet-tile').length`); n != 0 {
		t.Errorf("%d tiles without a tile URL", n)
	}
	if n := testpeer.Eval[int](b, `document.querySelectorAll('.graticule-label').length`); n < 10 {
		t.Errorf("graticule labels: %d", n)
	}
	checkLabels(t, b)
	b.Screenshot("1-collections")

	webtest.ShowCollection(t, b, "landsat-7")
	// inside the dem extent from start to end: the mouseup's click must not open that collection
	webtest.DragBox(t, b, -34.94, -8.04, -34.86, -7.96)
	got := testpeer.Eval[string](b, `document.querySelector('#bbox').value`)
	var bbox [4]float64
	if _, err := fmt.Sscanf(got, "%g, %g, %g, %g", &bbox[0], &bbox[1], &bbox[2], &bbox[3]); err != nil {
		t.Fatalf("bbox field %q: %v", got, err)
	}
	for i, want := range []float64{-34.94, -8.04, -34.86, -7.96} {
		if math.Abs(bbox[i]-want) > 0.002 { // a pixel is ~0.0004° at this zoom
			t.Errorf("drawn bbox %v, want about [-34.94 -8.04 -34.86 -7.96]", bbox)
			break
		}
	}
	b.Screenshot("2-box")

	b.Do(
		chromedp.SetValue(chromedp.CSS("#date-from"), "2001-01-01"),
		chromedp.SetValue(chromedp.CSS("#date-to"), "2001-12-31"),
		chromedp.SetValue(chromedp.CSS("#cloud"), "20"),
		chromedp.SendKeys(chromedp.CSS("#filter"), "platform = 'landsat-7'"),
		chromedp.SetValue(chromedp.CSS("#limit"), "1"),
	)
	testpeer.Eval[bool](b, `(() => { const s = document.querySelector('#collections'); s.options[0].selected = true; return true; })()`)
	b.Do(chromedp.Click(chromedp.CSS("#search")))
	b.WaitFor(`document.querySelectorAll('#results li').length === 1`)
	b.Do(chromedp.Click(chromedp.CSS("#next")))
	b.WaitFor(`document.querySelectorAll('#results li').length === 2`)
	if n := testpeer.Eval[int](b, `document.querySelector('#next').hidden ? 0 : 1`); n != 0 {
		t.Error("next button shown on the last page")
	}
	if got := testpeer.Eval[string](b, `document.querySelector('#status').textContent`); got != "2 of 2 items" {
		t.Errorf("status = %q", got)
	}
	rows := testpeer.Eval[[]string](b, `[...document.querySelectorAll('#results li')].map(li => li.textContent)`)
	if len(rows) != 2 || rows[0] != "L7-2001-06-012001-06-01T12:57:00Z · landsat-7" || !strings.HasPrefix(rows[1], "L7-2001-07-03") {
		t.Errorf("results = %q", rows)
	}
	if n := testpeer.Eval[int](b, `eopack.map.getPane('overlayPane').querySelectorAll('path.leaflet-interactive:not([stroke-dasharray])').length`); n < 2 {
		t.Errorf("footprints drawn: %d", n)
	}
	b.Screenshot("3-results")

	api.mu.Lock()
	searches := api.searches
	api.mu.Unlock()
	if len(searches) != 2 {
		t.Fatalf("%d searches, want 2", len(searches))
	}
	first, _ := json.Marshal(searches[0])
	want := fmt.Sprintf(`{"bbox":[%g,%g,%g,%g],"collections":["landsat-7"],"datetime":"2001-01-01T00:00:00Z/2001-12-31T23:59:59Z","filter":"(eo:cloud_cover \u003c= 20) AND (platform = 'landsat-7')","filter-lang":"cql2-text","limit":1}`,
		bbox[0], bbox[1], bbox[2], bbox[3])
	if string(first) != want {
		t.Errorf("search body\n got %s\nwant %s", first, want)
	}
	second := searches[1]
	if second["token"] != "page2" || second["filter-lang"] != "cql2-text" || second["limit"] != float64(1) {
		t.Errorf("next page body (merged) = %v", second)
	}

	b.Do(chromedp.Click(chromedp.CSS(`#results li[data-id="L7-2001-07-03"] a`)))
	b.WaitFor(`document.querySelector('#assets')`)
	if got := testpeer.Eval[string](b, `location.hash`); got != "#/collections/landsat-7/items/L7-2001-07-03" {
		t.Errorf("item route = %q", got)
	}
	assets := testpeer.Eval[[][]string](b, `[...document.querySelectorAll('#assets tbody tr')].map(tr => [...tr.cells].map(c => c.textContent))`)
	wantAssets := [][]string{
		{"B3", "Red", "B3", "image/tiff; application=geotiff; profile=cloud-optimized", "2.0 KiB", "Download"},
		{"bad", "<b>not html</b>", "", "text/plain", "", ""},
		{"visual", "RGB", "B3, B2, B1", "image/tiff; application=geotiff", "2.9 MiB", "Download"},
	}
	if fmt.Sprint(assets) != fmt.Sprint(wantAssets) {
		t.Errorf("assets table\n got %q\nwant %q", assets, wantAssets)
	}
	cmds := testpeer.Eval[[]string](b, `[...document.querySelectorAll('#item-body code.pull')].map(c => c.textContent)`)
	ref := "127.0.0.1:5000/eo/landsat@sha256:2222222222222222222222222222222222222222222222222222222222222222"
	wantCmds := []string{
		"eopack pull " + ref + " -o ./L7-2001-07-03",
		"eopack pull " + ref + " -o ./L7-2001-07-03 --band B3",
		"eopack pull " + ref + " -o ./L7-2001-07-03 --asset bad",
		"eopack pull " + ref + " -o ./L7-2001-07-03 --asset visual",
	}
	if strings.Join(cmds, "\n") != strings.Join(wantCmds, "\n") {
		t.Errorf("pull commands\n got %q\nwant %q", cmds, wantCmds)
	}
	if n := testpeer.Eval[int](b, `document.querySelectorAll('#item-body b').length`); n != 0 {
		t.Error("an asset title was parsed as HTML")
	}
	links := testpeer.Eval[[]string](b, `[...document.querySelectorAll('#links a')].map(a => a.href)`)
	if len(links) != 1 || links[0] != "http://127.0.0.1:5000/v2/eo/landsat/manifests/v2" {
		t.Errorf("links = %v", links)
	}
	checkLabels(t, b)
	b.Screenshot("4-item")

	file := b.Download(chromedp.Click(chromedp.CSS(`#assets tr[data-asset="B3"] a.download`)))
	if got, err := os.ReadFile(file); err != nil || string(got) != "band three bytes" {
		t.Errorf("downloaded %q (%v)", got, err)
	}

	b.Do(chromedp.Click(chromedp.CSS("#back")))
	b.WaitFor(`!document.querySelector('#search-view').hidden && document.querySelector('#item-view').hidden`)
	if n := testpeer.Eval[int](b, `document.querySelectorAll('#results li').length`); n != 2 {
		t.Errorf("results after going back: %d", n)
	}
	if errs := b.PageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

func TestPageUnknownItemAndBadBBox(t *testing.T) {
	srv, _ := startPage(t, Options{})
	b := testpeer.Chromium(t)
	b.Do(chromedp.Navigate(srv.URL + "/#/collections/landsat-7/items/nope"))
	b.WaitFor(`document.querySelector('#item-body [role=alert]')`)
	if got := testpeer.Eval[string](b, `document.querySelector('#item-body [role=alert]').textContent`); got != "Item landsat-7/nope: 404: no item nope" {
		t.Errorf("unknown item says %q", got)
	}
	b.Do(chromedp.Navigate(srv.URL + "/#/"))
	b.WaitFor(`document.body.dataset.ready === 'true'`)
	b.Do(chromedp.SendKeys(chromedp.CSS("#bbox"), "1, 2, 3"), chromedp.Click(chromedp.CSS("#search")))
	b.WaitFor(`document.querySelector('#status').classList.contains('error')`)
	if got := testpeer.Eval[string](b, `document.querySelector('#status').textContent`); got != "the bounding box needs four numbers: west, south, east, north" {
		t.Errorf("bad bbox says %q", got)
	}
}

func TestPageBaseMapTiles(t *testing.T) {
	var mu sync.Mutex
	var tiles []string
	tileSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tiles = append(tiles, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		f, _ := static.Open("static/vendor/leaflet/images/layers.png")
		defer f.Close()
		io.Copy(w, f)
	}))
	defer tileSrv.Close()
	srv, _ := startPage(t, Options{TileURL: tileSrv.URL + "/{z}/{x}/{y}.png"})
	b := testpeer.Chromium(t)
	b.Do(chromedp.Navigate(srv.URL + "/"))
	b.WaitFor(`document.body.dataset.ready === 'true' && document.querySelectorAll('.leaflet-tile-loaded').length > 0`)
	if n := testpeer.Eval[int](b, `document.querySelectorAll('.graticule-label').length`); n != 0 {
		t.Errorf("graticule drawn over a base map (%d labels)", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tiles) == 0 || !strings.HasPrefix(tiles[0], "/2/") {
		t.Errorf("tile requests: %v", tiles)
	}
}

// TestPageCollectionRoute: #/collections/C selects that collection and searches it.
func TestPageCollectionRoute(t *testing.T) {
	srv, api := startPage(t, Options{})
	b := testpeer.Chromium(t)
	b.Do(chromedp.Navigate(srv.URL + "/#/collections/dem"))
	b.WaitFor(`document.querySelectorAll('#results li').length === 1`)
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.searches) != 1 {
		t.Fatalf("%d searches", len(api.searches))
	}
	body, _ := json.Marshal(api.searches[0])
	if string(body) != `{"collections":["dem"],"limit":20}` {
		t.Errorf("search body %s", body)
	}
	if sel := testpeer.Eval[[]string](b, `[...document.querySelector('#collections').selectedOptions].map(o => o.value)`); len(sel) != 1 || sel[0] != "dem" {
		t.Errorf("selected collections %v", sel)
	}
}
