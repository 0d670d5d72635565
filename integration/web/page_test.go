package web

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eopack/eopack/internal/testpeer"
	"github.com/eopack/eopack/web/webtest"
)

func overlaps(a, b []float64) bool {
	return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

// TestServe pushes the two products to one eopack serve and opens it in the map page and in
// STAC Browser.
func TestServe(t *testing.T) {
	srv := testpeer.StartServe(t, "")
	landsat, dem := pushProducts(t, srv.Host())
	t.Run("Page", func(t *testing.T) { testPage(t, srv, landsat, dem) })
	t.Run("StacBrowser", func(t *testing.T) { testStacBrowser(t, srv, landsat, dem) })
}

// testPage drives the page of eopack serve: a box drawn over the products lists them, the
// item page's download link gives the pushed bytes, and the pull commands it shows, run as
// they are, bring back the pushed files.
func testPage(t *testing.T, srv *testpeer.Server, landsat, dem product) {
	base := "http://" + srv.Host()

	type item struct {
		BBox   []float64 `json:"bbox"`
		Assets map[string]struct {
			Href   string `json:"href"`
			Digest string `json:"eopack:digest"`
		} `json:"assets"`
	}
	var li, di item
	getJSON(t, base+"/stac/collections/"+landsat.Collection+"/items/"+landsat.ID, &li)
	getJSON(t, base+"/stac/collections/"+dem.Collection+"/items/"+dem.ID, &di)

	b := testpeer.Chromium(t)
	b.Do(chromedp.Navigate(base + "/"))
	b.WaitFor(`document.body.dataset.ready === 'true'`)
	cols := testpeer.Eval[[]string](b, `[...document.querySelectorAll('#collections option')].map(o => o.value).sort()`)
	if strings.Join(cols, " ") != "landsat-7 olinda-dem" {
		t.Fatalf("collections listed: %v", cols)
	}
	b.Screenshot("1-collections")

	// A box over the middle of the Landsat scene.
	webtest.ShowCollection(t, b, "landsat-7")
	w, s, e, n := li.BBox[0], li.BBox[1], li.BBox[2], li.BBox[3]
	box := []float64{w + (e-w)*0.3, s + (n-s)*0.3, w + (e-w)*0.7, s + (n-s)*0.7}
	webtest.DragBox(t, b, box[0], box[1], box[2], box[3])
	b.Screenshot("2-box")
	b.Do(chromedp.Click(chromedp.CSS("#search")))
	b.WaitFor(`/items/.test(document.querySelector('#status').textContent)`)
	got := testpeer.Eval[[]string](b, `[...document.querySelectorAll('#results li')].map(li => li.dataset.id).sort()`)
	want := []string{landsat.ID}
	if overlaps(box, di.BBox) {
		want = append(want, dem.ID)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("box %v found %v, want %v", box, got, want)
	}
	keepScreenshot(t, b.Screenshot("3-results"))

	// Dates narrow it to the Landsat scene.
	b.Do(chromedp.SetValue(chromedp.CSS("#date-from"), "2001-01-01"), chromedp.SetValue(chromedp.CSS("#date-to"), "2001-12-31"), chromedp.Click(chromedp.CSS("#search")))
	b.WaitFor(`document.querySelectorAll('#results li').length === 1 && /items/.test(document.querySelector('#status').textContent)`)
	if got := testpeer.Eval[string](b, `document.querySelector('#results li').dataset.id`); got != landsat.ID {
		t.Errorf("dated search found %s", got)
	}

	// The item page.
	b.Do(chromedp.Click(chromedp.CSS(`#results li[data-id="` + landsat.ID + `"] a`)))
	b.WaitFor(`document.querySelector('#assets')`)
	keys := testpeer.Eval[[]string](b, `[...document.querySelectorAll('#assets tbody tr')].map(tr => tr.dataset.asset)`)
	if strings.Join(keys, " ") != "B1 B2 B3 B4 B5 B6" {
		t.Errorf("assets listed: %v", keys)
	}
	size := testpeer.Eval[string](b, `document.querySelector('#assets tr[data-asset="B4"] td.size').title`)
	st, _ := os.Stat(filepath.Join(landsat.Dir, "B4.tif"))
	if size != fmt.Sprintf("%d bytes", st.Size()) {
		t.Errorf("B4 size shown as %q, file has %d bytes", size, st.Size())
	}
	b.Screenshot("4-item")

	// The download link gives the pushed bytes.
	href := testpeer.Eval[string](b, `document.querySelector('#assets tr[data-asset="B4"] a.download').href`)
	if href != li.Assets["B4"].Href {
		t.Errorf("download link %s, asset href %s", href, li.Assets["B4"].Href)
	}
	file := b.Download(chromedp.Click(chromedp.CSS(`#assets tr[data-asset="B4"] a.download`)))
	want4 := testpeer.FileDigest(t, filepath.Join(landsat.Dir, "B4.tif"))
	if d := testpeer.FileDigest(t, file); d != want4 || d != li.Assets["B4"].Digest {
		t.Errorf("downloaded B4 has digest %s; the file %s, the item says %s", d, want4, li.Assets["B4"].Digest)
	}

	// The pull commands, run as shown, bring back the files.
	cmds := testpeer.Eval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('#item-body .cmd')].map(d => [d.dataset.asset, d.querySelector('code').textContent]))`)
	all, b4 := cmds["Everything"], cmds["B4"]
	if !strings.HasPrefix(all, "eopack pull "+srv.Host()+"/eo/landsat@sha256:") || b4 != all+" --band B4" {
		t.Fatalf("pull commands: %q", cmds)
	}
	path := filepath.Dir(testpeer.Eopack(t)) + string(os.PathListSeparator) + os.Getenv("PATH")
	run := func(cmd string) string {
		dir := t.TempDir()
		c := exec.Command("sh", "-c", cmd)
		c.Dir = dir
		c.Env = append(os.Environ(), "PATH="+path, "DOCKER_CONFIG="+t.TempDir())
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
		return filepath.Join(dir, landsat.ID)
	}
	out := run(b4)
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || entries[0].Name() != "B4.tif" {
		t.Errorf("%s wrote %v", b4, entries)
	}
	testpeer.SameFile(t, filepath.Join(landsat.Dir, "B4.tif"), filepath.Join(out, "B4.tif"))
	out = run(all)
	for _, f := range landsat.Files {
		testpeer.SameFile(t, filepath.Join(landsat.Dir, f), filepath.Join(out, f))
	}
	if errs := b.PageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}
