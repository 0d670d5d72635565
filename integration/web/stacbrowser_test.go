package web

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestStacBrowser opens the STAC API of eopack serve in STAC Browser 4 (built from npm by
// scripts/install-peers.sh, served here as static files): it lists the collections, a search
// returns the pushed products, and an item page shows its assets.
func TestStacBrowser(t *testing.T) {
	dist := testpeer.StacBrowser(t)
	srv := testpeer.StartServe(t, "")
	landsat, dem := pushProducts(t, srv.Host())
	site := httptest.NewServer(http.FileServer(http.Dir(dist)))
	defer site.Close()
	// STAC Browser's own form of an external URL: /external/http:/HOST/PATH
	api := "external/http:/" + srv.Host() + "/stac/"

	b := testpeer.Chromium(t)
	hasText := func(s string) string {
		return `document.body && document.body.innerText.includes(` + strconv.Quote(s) + `)`
	}

	b.Do(chromedp.Navigate(site.URL + "/#/" + api))
	b.WaitFor(hasText(landsat.Collection) + " && " + hasText(dem.Collection))
	b.Screenshot("1-catalog")

	b.Do(chromedp.Navigate(site.URL + "/#/search/" + api))
	b.WaitFor(`[...document.querySelectorAll('button[type=submit]')].some(x => x.offsetParent !== null)`)
	b.Do(chromedp.Click(chromedp.CSS(`form.filter button[type=submit]`)))
	b.WaitFor(hasText(landsat.ID) + " && " + hasText(dem.ID))
	b.Screenshot("2-search")

	b.Do(chromedp.Navigate(site.URL + "/#/" + api + "collections/" + landsat.Collection + "/items/" + landsat.ID))
	b.WaitFor(hasText(landsat.ID) + " && " + hasText("B1") + " && " + hasText("B6"))
	b.Screenshot("3-item")
}
