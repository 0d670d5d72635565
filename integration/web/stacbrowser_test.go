package web

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eopack/eopack/internal/testpeer"
)

// testStacBrowser opens the STAC API of eopack serve in STAC Browser 4 (built from npm by
// scripts/install-peers.sh, served here as static files): it lists the collections, a search
// returns the pushed products, and an item page shows its assets.
func testStacBrowser(t *testing.T, srv *testpeer.Server, landsat, dem product) {
	dist := testpeer.StacBrowser(t)
	site := httptest.NewServer(http.FileServer(http.Dir(dist)))
	defer site.Close()
	// STAC Browser writes an external URL as /external/http:/HOST/PATH; the first visit uses
	// the form people type, http://HOST/PATH, which it reads too.
	api := "external/http:/" + srv.Host() + "/stac/"

	b := testpeer.Chromium(t)
	hasText := func(s string) string {
		return `document.body && document.body.innerText.includes(` + strconv.Quote(s) + `)`
	}

	b.Do(chromedp.Navigate(site.URL + "/#/external/http://" + srv.Host() + "/stac/"))
	b.WaitFor(hasText(landsat.Collection) + " && " + hasText(dem.Collection))
	b.Screenshot("1-catalog")

	b.Do(chromedp.Navigate(site.URL + "/#/search/" + api))
	b.WaitFor(`[...document.querySelectorAll('button[type=submit]')].some(x => x.offsetParent !== null)`)
	b.Do(chromedp.Click(chromedp.CSS(`form.filter button[type=submit]`)))
	b.WaitFor(hasText(landsat.ID) + " && " + hasText(dem.ID))
	b.Screenshot("2-search")

	b.Do(chromedp.Navigate(site.URL + "/#/" + api + "collections/" + landsat.Collection + "/items/" + landsat.ID))
	assets := hasText(landsat.ID)
	for _, f := range landsat.Files {
		assets += " && " + hasText(strings.TrimSuffix(f, ".tif"))
	}
	b.WaitFor(assets)
	b.Screenshot("3-item")
}
