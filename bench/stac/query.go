package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// A search kind: the query parameters it adds to a random bbox + datetime.
var kinds = []struct {
	name  string
	extra url.Values
}{
	{"bbox + datetime, limit 100", url.Values{"count": {"false"}}},
	{"+ filter eo:cloud_cover < 10", url.Values{"count": {"false"}, "filter": {"eo:cloud_cover < 10"}, "filter-lang": {"cql2-text"}}},
	{"bbox + datetime, exact numberMatched", url.Values{"count": {"true"}}},
}

// query runs each kind of search runs times (random 5°×5° boxes over land, one-year
// windows), after 20 untimed ones, and prints a markdown table of the latencies.
func query(ctx context.Context, root string, runs int) error {
	r := rand.New(rand.NewPCG(7, 7))
	// Warm-up: 20 searches elsewhere in the same index, not timed.
	w := rand.New(rand.NewPCG(1, 1))
	for range 20 {
		b := land[w.IntN(len(land))]
		v := url.Values{"limit": {"100"}, "count": {"false"}, "bbox": {fmt.Sprintf("%.3f,%.3f,%.3f,%.3f", b[0], b[1], b[0]+5, b[1]+5)}}
		if _, _, err := search(ctx, root+"/search?"+v.Encode()); err != nil {
			return err
		}
	}
	fmt.Println("| search | p50 ms | p95 ms | max ms | mean hits | mean numberMatched |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, k := range kinds {
		var ms []float64
		hits, matched := 0, int64(0)
		for range runs {
			b := land[r.IntN(len(land))]
			w := b[0] + r.Float64()*(b[2]-b[0]-5)
			s := b[1] + r.Float64()*(b[3]-b[1]-5)
			t := start.Add(time.Duration(r.Int64N(int64((years - 1) * 365 * 24 * float64(time.Hour)))))
			v := url.Values{"limit": {"100"}, "bbox": {fmt.Sprintf("%.3f,%.3f,%.3f,%.3f", w, s, w+5, s+5)},
				"datetime": {t.Format(time.RFC3339) + "/" + t.AddDate(1, 0, 0).Format(time.RFC3339)}}
			for key, vals := range k.extra {
				v[key] = vals
			}
			t0 := time.Now()
			n, m, err := search(ctx, root+"/search?"+v.Encode())
			if err != nil {
				return err
			}
			ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
			hits += n
			matched += m
		}
		slices.Sort(ms)
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %d | %d |\n", k.name, ms[len(ms)/2], ms[len(ms)*95/100], ms[len(ms)-1],
			hits/runs, matched/int64(runs))
	}
	return nil
}

// search GETs a search URL and reads the whole ItemCollection.
func search(ctx context.Context, u string) (int, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("%s: %s: %s", u, res.Status, body)
	}
	var ic struct {
		Features      []json.RawMessage `json:"features"`
		NumberMatched int64             `json:"numberMatched"`
	}
	if err := json.Unmarshal(body, &ic); err != nil {
		return 0, 0, err
	}
	return len(ic.Features), ic.NumberMatched, nil
}
