package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Repositories written by the phases. The catalog phase adds catalogRepo(1…R).
const (
	tagsRepo      = "scale/tags"
	referrersRepo = "scale/referrers"
)

func tagOf(i int) string       { return fmt.Sprintf("t%06d", i) }
func catalogRepo(i int) string { return fmt.Sprintf("scale/catalog/r%05d", i) }

// parallel runs fn(ctx, i) for i = 1…n on workers goroutines, handing out i in order; the
// first error stops the rest. every, if > 0, prints progress to stderr every that many items.
func parallel(ctx context.Context, label string, n, workers, every int, fn func(ctx context.Context, i int) error) error {
	var next, done atomic.Int64
	t0 := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error {
			for {
				i := int(next.Add(1))
				if i > n || gctx.Err() != nil {
					return nil
				}
				if err := fn(gctx, i); err != nil {
					return err
				}
				if d := done.Add(1); every > 0 && d%int64(every) == 0 {
					fmt.Fprintf(os.Stderr, "bench/scale: %s %d/%d (%.0f/s)\n", label, d, n, float64(d)/time.Since(t0).Seconds())
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err() // interrupted: the phase is incomplete
}

// pushTags pushes n artifacts into tagsRepo, artifact i tagged tagOf(i): its own layer
// (POST + PUT) and a manifest PUT to the tag. lat[i-1] is artifact i's manifest PUT latency.
func pushTags(ctx context.Context, r *registry, n, clients int) ([]time.Duration, error) {
	if err := r.pushBlob(ctx, tagsRepo, emptyBlob, ""); err != nil {
		return nil, err
	}
	lat := make([]time.Duration, n)
	err := parallel(ctx, r.name+" manifests", n, clients, progressStep(n), func(ctx context.Context, i int) error {
		layer := layerBlob(i)
		m := artifactManifest(layer)
		if err := r.pushBlob(ctx, tagsRepo, layer, ""); err != nil {
			return err
		}
		d, err := r.putManifest(ctx, tagsRepo, tagOf(i), m)
		lat[i-1] = d
		return err
	})
	return lat, err
}

// progressStep is how often a long phase reports: every 10 %, at least every 1,000 items.
func progressStep(n int) int { return max(n/10, 1000) }

// listTags times GET tags/list?n=1000 for the first page and for the page after the middle
// tag, runs times each, and checks each page holds the expected number of tags.
func listTags(ctx context.Context, r *registry, n, runs int) (first, middle []time.Duration, err error) {
	const page = 1000
	mid := n / 2
	for range runs {
		for _, q := range []struct {
			last string
			want int
			out  *[]time.Duration
		}{{"", min(page, n), &first}, {tagOf(mid), min(page, n-mid), &middle}} {
			u := fmt.Sprintf("/v2/%s/tags/list?n=%d", tagsRepo, page)
			if q.last != "" {
				u += "&last=" + q.last
			}
			resp, d, err := r.expect(ctx, http.StatusOK, http.MethodGet, u, nil)
			if err != nil {
				return nil, nil, err
			}
			var body struct{ Tags []string }
			if err := json.Unmarshal(resp.body, &body); err != nil {
				return nil, nil, fmt.Errorf("GET %s: %w", u, err)
			}
			if len(body.Tags) != q.want {
				return nil, nil, fmt.Errorf("GET %s: %d tags, want %d", u, len(body.Tags), q.want)
			}
			*q.out = append(*q.out, d)
		}
	}
	return first, middle, nil
}

// pushReferrers pushes a subject manifest tagged "subject" to referrersRepo and n referrer
// manifests of it by digest; it returns the subject's digest and the referrer PUT latencies.
func pushReferrers(ctx context.Context, r *registry, n, clients int) (string, []time.Duration, error) {
	if err := r.pushBlob(ctx, referrersRepo, emptyBlob, ""); err != nil {
		return "", nil, err
	}
	subject := tinyManifest("application/vnd.eopack.bench.subject")
	if _, err := r.putManifest(ctx, referrersRepo, "subject", subject); err != nil {
		return "", nil, err
	}
	lat := make([]time.Duration, n)
	err := parallel(ctx, r.name+" referrers", n, clients, progressStep(n), func(ctx context.Context, i int) error {
		m := referrerManifest(subject, i)
		d, err := r.putManifest(ctx, referrersRepo, digestOf(m), m)
		lat[i-1] = d
		return err
	})
	return digestOf(subject), lat, err
}

// errNoReferrersAPI is getReferrers' answer for a registry that returns 404 to the API.
var errNoReferrersAPI = fmt.Errorf("no referrers API")

// getReferrers times GET referrers/<subject> (following Link pages, if any) runs times and
// checks that want manifests are listed.
func getReferrers(ctx context.Context, r *registry, subject string, want, runs int) ([]time.Duration, error) {
	var out []time.Duration
	for range runs {
		var total time.Duration
		count := 0
		for u := "/v2/" + referrersRepo + "/referrers/" + subject; u != ""; {
			resp, d, err := r.do(ctx, http.MethodGet, u, nil, "Accept", "application/vnd.oci.image.index.v1+json")
			if err != nil {
				return nil, err
			}
			if resp.status == http.StatusNotFound {
				return nil, errNoReferrersAPI
			}
			if resp.status != http.StatusOK {
				return nil, fmt.Errorf("GET %s: %d %.200s", u, resp.status, resp.body)
			}
			var idx struct{ Manifests []json.RawMessage }
			if err := json.Unmarshal(resp.body, &idx); err != nil {
				return nil, fmt.Errorf("GET %s: %w", u, err)
			}
			total += d
			count += len(idx.Manifests)
			u = nextLink(resp.header)
		}
		if count != want {
			return nil, fmt.Errorf("referrers of %s: %d listed, want %d", subject, count, want)
		}
		out = append(out, total)
	}
	return out, nil
}

// pushCatalog creates repos repositories holding one tiny manifest each; the empty blob is
// mounted from tagsRepo.
func pushCatalog(ctx context.Context, r *registry, repos, clients int) error {
	m := tinyManifest("application/vnd.eopack.bench.catalog")
	return parallel(ctx, r.name+" repositories", repos, clients, progressStep(repos), func(ctx context.Context, i int) error {
		if err := r.pushBlob(ctx, catalogRepo(i), emptyBlob, tagsRepo); err != nil {
			return err
		}
		_, err := r.putManifest(ctx, catalogRepo(i), "v1", m)
		return err
	})
}

// catalogPage is one _catalog request; it returns its latency, the names and the next page.
func catalogPage(ctx context.Context, r *registry, u string) (time.Duration, []string, string, error) {
	resp, d, err := r.expect(ctx, http.StatusOK, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, "", err
	}
	var body struct{ Repositories []string }
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return 0, nil, "", fmt.Errorf("GET %s: %w", u, err)
	}
	return d, body.Repositories, nextLink(resp.header), nil
}

// listCatalog times GET _catalog?n=1000 and the whole list (GET _catalog, then every Link
// page the registry hands out) runs times each. It checks the first page holds 1,000 names
// (or all of them) and the whole list at least minRepos; pages is the whole list's page count.
func listCatalog(ctx context.Context, r *registry, minRepos, runs int) (page, whole []time.Duration, pages int, err error) {
	for range runs {
		d, names, _, err := catalogPage(ctx, r, "/v2/_catalog?n=1000")
		if err != nil {
			return nil, nil, 0, err
		}
		if len(names) != 1000 && len(names) < minRepos {
			return nil, nil, 0, fmt.Errorf("GET _catalog?n=1000: %d names", len(names))
		}
		page = append(page, d)

		var total time.Duration
		count := 0
		pages = 0
		for u := "/v2/_catalog"; u != ""; pages++ {
			d, names, next, err := catalogPage(ctx, r, u)
			if err != nil {
				return nil, nil, 0, err
			}
			total += d
			count += len(names)
			u = next
		}
		if count < minRepos {
			return nil, nil, 0, fmt.Errorf("whole _catalog: %d names, want at least %d", count, minRepos)
		}
		whole = append(whole, total)
	}
	return page, whole, pages, nil
}

// nextLink is the target of a Link: <…>; rel="next" header, or "".
func nextLink(h http.Header) string {
	l := h.Get("Link")
	if !strings.Contains(l, `rel="next"`) {
		return ""
	}
	i, j := strings.IndexByte(l, '<'), strings.IndexByte(l, '>')
	if i < 0 || j < i {
		return ""
	}
	return l[i+1 : j]
}
