package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"
)

// Goals for the first target.
const (
	goalGrowth = 1.5 // manifest PUT p95 at N over p95 at the first mark
	goalTagsMS = 50
	goalRefMS  = 100
	goalRSSMiB = 200
)

// Latency windows.
const (
	windowMax = 500 // PUTs in each window
	windowMin = 100 // fewer PUTs make no p95: such a mark is left out (small N only)
)

// markFractions place the windows: 1k, 10k, 50k and 100k of 100,000, scaled with N.
var markFractions = []float64{0.01, 0.1, 0.5, 1}

// window is the manifest PUTs ending at mark m (a count of manifests).
type window struct{ mark, size int }

// windows are the latency windows for n manifests: the windowMax PUTs (or all there were)
// ending at each mark, leaving out marks with fewer than windowMin PUTs before them, except
// the last.
func windows(n int) []window {
	var ws []window
	for i, f := range markFractions {
		m := max(1, int(math.Round(f*float64(n))))
		if m < windowMin && i < len(markFractions)-1 || len(ws) > 0 && ws[len(ws)-1].mark == m {
			continue
		}
		ws = append(ws, window{m, min(windowMax, m)})
	}
	return ws
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func median(ds []time.Duration) time.Duration { return percentile(ds, 50) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fmtMS prints milliseconds with about three significant digits.
func fmtMS(d time.Duration) string {
	v := ms(d)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// count prints n with thousands separators.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// report prints the results as one markdown table: a row per measure, a column per target,
// then the goal for the first target and whether it is met.
func report(w io.Writer, o options, res []*result) {
	head := "| measure |"
	rule := "|---|"
	for _, r := range res {
		head += " " + r.name + " |"
		rule += "---|"
	}
	fmt.Fprintf(w, "%s goal (%s) | met |\n%s---|---|\n", head, res[0].name, rule)
	row := func(label string, cell func(r *result) string, goal, met string) {
		line := "| " + label + " |"
		for _, r := range res {
			line += " " + cell(r) + " |"
		}
		fmt.Fprintf(w, "%s %s | %s |\n", line, goal, met)
	}
	pct := func(lat []time.Duration) string {
		return fmtMS(percentile(lat, 50)) + " / " + fmtMS(percentile(lat, 95)) + " ms"
	}

	ws := windows(o.n)
	p95 := func(r *result, wi window) time.Duration { return percentile(r.push[wi.mark-wi.size:wi.mark], 95) }
	for i, wi := range ws {
		goal, met := "", ""
		if i == len(ws)-1 && len(res) > 1 {
			goal = "p95 ≤ " + res[1].name + "'s"
			met = yesNo(p95(res[0], wi) <= p95(res[1], wi))
		}
		row(fmt.Sprintf("manifest PUT p50 / p95 at %s (last %s PUTs)", count(wi.mark), count(wi.size)),
			func(r *result) string { return pct(r.push[wi.mark-wi.size : wi.mark]) }, goal, met)
	}
	first, last := ws[0], ws[len(ws)-1]
	growth := func(r *result) float64 { return float64(p95(r, last)) / float64(p95(r, first)) }
	row(fmt.Sprintf("manifest PUT p95 at %s ÷ p95 at %s", count(last.mark), count(first.mark)),
		func(r *result) string { return fmt.Sprintf("%.2f", growth(r)) },
		fmt.Sprintf("≤ %.1f", goalGrowth), yesNo(growth(res[0]) <= goalGrowth))
	row(fmt.Sprintf("artifacts pushed per second (%d clients; POST + PUT + manifest PUT)", o.clients),
		func(r *result) string { return fmt.Sprintf("%.0f", float64(o.n)/r.wall[0].Seconds()) }, "", "")
	refWin := min(windowMax, o.referrers)
	row(fmt.Sprintf("referrer PUT p50 / p95 (last %s of %s)", count(refWin), count(o.referrers)),
		func(r *result) string { return pct(r.refPut[o.referrers-refWin:]) }, "", "")

	tagsMet := median(res[0].tagsFirst) <= goalTagsMS*time.Millisecond
	row(fmt.Sprintf("tags/list?n=1000 first page of %s tags, median of %d", count(o.n), o.runs),
		func(r *result) string { return fmtMS(median(r.tagsFirst)) + " ms" },
		fmt.Sprintf("≤ %d ms", goalTagsMS), yesNo(tagsMet))
	tagsMet = median(res[0].tagsMid) <= goalTagsMS*time.Millisecond
	row(fmt.Sprintf("tags/list?n=1000&last=%s, median of %d", tagOf(o.n/2), o.runs),
		func(r *result) string { return fmtMS(median(r.tagsMid)) + " ms" },
		fmt.Sprintf("≤ %d ms", goalTagsMS), yesNo(tagsMet))

	refCell := func(r *result) string {
		if r.refNA {
			return "n/a (404)"
		}
		return fmtMS(median(r.refGet)) + " ms"
	}
	row(fmt.Sprintf("GET referrers of a subject with %s, median of %d", count(o.referrers), o.runs/2),
		refCell, fmt.Sprintf("≤ %d ms", goalRefMS),
		yesNo(!res[0].refNA && median(res[0].refGet) <= goalRefMS*time.Millisecond))

	repos := o.repos + 2 // the catalog repositories, tagsRepo and referrersRepo
	row(fmt.Sprintf("_catalog?n=1000 of %s repositories, median of %d", count(repos), o.runs/2),
		func(r *result) string { return fmtMS(median(r.catPage)) + " ms" }, "", "")
	row(fmt.Sprintf("whole _catalog (GET _catalog, then its Link pages), median of %d", o.runs/2),
		func(r *result) string {
			return fmtMS(median(r.catWhole)) + " ms (" + count(r.catPages) + plural(r.catPages, " page") + ")"
		}, "", "")

	row("server peak RSS (VmHWM)", func(r *result) string { return fmt.Sprintf("%.0f MiB", r.rssMiB) },
		fmt.Sprintf("≤ %d MiB", goalRSSMiB), yesNo(res[0].rssMiB <= goalRSSMiB))
	sizes := [4]string{count(o.n) + " artifacts", "", count(o.referrers), count(o.repos) + " repositories"}
	for p, name := range phaseNames {
		label := "wall (server CPU): " + name
		if sizes[p] != "" {
			label += ", " + sizes[p]
		}
		row(label, func(r *result) string {
			return fmt.Sprintf("%.1f s (%.1f s)", r.wall[p].Seconds(), r.cpu[p].Seconds())
		}, "", "")
	}
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}
