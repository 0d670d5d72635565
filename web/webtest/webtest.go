// Package webtest drives the map page of package web in a browser started by
// testpeer.Chromium, as a person would: with the mouse on the map.
package webtest

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/eopack/eopack/internal/testpeer"
)

// ShowCollection presses the collection's "Show" button and waits until the map has zoomed
// there (its moveend), so that pixel positions read afterwards hold.
func ShowCollection(t testing.TB, b *testpeer.Browser, id string) {
	t.Helper()
	testpeer.Eval[bool](b, `(window.moved = new Promise(r => eopack.map.once('moveend', () => r(true))), true)`)
	b.Do(chromedp.Click(chromedp.CSS(`#collection-list li[data-id=` + strconv.Quote(id) + `] button.zoom`)))
	testpeer.Eval[bool](b, `window.moved`)
}

// DragBox presses "Draw a box on the map" and drags from (w, n) to (e, s) with mouse events
// at the pixels where the map shows those coordinates, then waits for the bounding box field
// to be filled.
func DragBox(t testing.TB, b *testpeer.Browser, w, s, e, n float64) {
	t.Helper()
	type pt struct{ X, Y float64 }
	px := func(lat, lng float64) pt {
		return testpeer.Eval[pt](b, fmt.Sprintf(`(() => {
			const p = eopack.map.latLngToContainerPoint([%g, %g]);
			const r = eopack.map.getContainer().getBoundingClientRect();
			return {X: r.left + p.x, Y: r.top + p.y};
		})()`, lat, lng))
	}
	from, to := px(n, w), px(s, e)
	b.Do(chromedp.Click(chromedp.CSS("#draw-box")))
	b.WaitFor(`document.querySelector('#draw-box').getAttribute('aria-pressed') === 'true'`)
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, from.X, from.Y),
		chromedp.MouseEvent(chromedp.MousePressed, from.X, from.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	}
	for i := 1; i <= 8; i++ {
		f := float64(i) / 8
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, from.X+(to.X-from.X)*f, from.Y+(to.Y-from.Y)*f, chromedp.ButtonLeft))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, to.X, to.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	b.Do(steps...)
	b.WaitFor(`document.querySelector('#bbox').value !== ''`)
}
