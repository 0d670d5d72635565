package stacsearch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeAPI is a small STAC API over n items: a landing page (search by GET, and by POST when
// post is set), and /search paging with an offset token, GET links or POST links whose body
// carries only the token and says merge.
type fakeAPI struct {
	n      int
	post   bool
	mu     sync.Mutex
	bodies []map[string]any // POST bodies received
	gets   []string         // GET queries received
	// linkEmpty links a next page after the last item too (which then comes back empty).
	linkEmpty bool
}

func (f *fakeAPI) start(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	base := "http://" + r.Host
	switch r.URL.Path {
	case "/":
		links := []map[string]any{{"rel": "search", "href": base + "/search", "method": "GET"}}
		if f.post {
			links = append(links, map[string]any{"rel": "search", "href": "search", "method": "POST"})
		}
		json.NewEncoder(w).Encode(map[string]any{"type": "Catalog", "id": "fake", "links": links})
	case "/search":
		var limit, off int = 10, 0
		var bbox any
		if r.Method == http.MethodPost {
			var b map[string]any
			json.NewDecoder(r.Body).Decode(&b)
			f.mu.Lock()
			f.bodies = append(f.bodies, b)
			f.mu.Unlock()
			if l, ok := b["limit"].(float64); ok {
				limit = int(l)
			}
			if tok, ok := b["token"].(string); ok {
				off, _ = strconv.Atoi(tok)
			}
			bbox = b["bbox"]
		} else {
			f.mu.Lock()
			f.gets = append(f.gets, r.URL.RawQuery)
			f.mu.Unlock()
			if l := r.URL.Query().Get("limit"); l != "" {
				limit, _ = strconv.Atoi(l)
			}
			off, _ = strconv.Atoi(r.URL.Query().Get("token"))
			if r.URL.Query().Get("bbox") != "" {
				bbox = r.URL.Query().Get("bbox")
			}
		}
		if limit == 99 {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"code": "InvalidParameterValue", "description": "limit 99 is unlucky"})
			return
		}
		if bbox == nil && r.Method == http.MethodPost {
			http.Error(w, "the merged body lost its bbox", http.StatusTeapot)
			return
		}
		var feats []map[string]any
		for i := off; i < off+limit && i < f.n; i++ {
			feats = append(feats, map[string]any{
				"type": "Feature", "stac_version": "1.0.0", "id": fmt.Sprintf("item-%d", i), "collection": "c",
				"properties": map[string]any{"datetime": fmt.Sprintf("2024-01-%02dT00:00:00Z", i+1),
					"eopack:reference": fmt.Sprintf("reg.example/eo/p@sha256:%064d", i)},
				"geometry": nil, "links": []any{}, "assets": map[string]any{},
			})
		}
		page := map[string]any{"type": "FeatureCollection", "features": feats, "numberMatched": f.n, "numberReturned": len(feats)}
		if off+limit < f.n || (f.linkEmpty && off < f.n) {
			tok := strconv.Itoa(off + limit)
			if r.Method == http.MethodPost {
				page["links"] = []any{map[string]any{"rel": "next", "href": base + "/search", "method": "POST", "merge": true, "body": map[string]any{"token": tok}}}
			} else {
				q := r.URL.Query()
				q.Set("token", tok)
				page["links"] = []any{map[string]any{"rel": "next", "href": "/search?" + q.Encode()}}
			}
		}
		w.Header().Set("Content-Type", "application/geo+json")
		json.NewEncoder(w).Encode(page)
	default:
		http.NotFound(w, r)
	}
}

func collect(t *testing.T, root string, p Params) ([]string, Result, error) {
	t.Helper()
	var ids []string
	res, err := (&Client{}).Search(context.Background(), root, p, func(item json.RawMessage) error {
		s, err := Summarize(item)
		ids = append(ids, s.ID)
		return err
	})
	return ids, res, err
}

func TestSearchGETFollowsTokenLinks(t *testing.T) {
	f := &fakeAPI{n: 5}
	srv := f.start(t)
	ids, res, err := collect(t, srv.URL+"/", Params{Limit: 2, BBox: []float64{1, 2, 3, 4}, SortBy: []Sort{{"datetime", true}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, " ") != "item-0 item-1 item-2 item-3 item-4" {
		t.Errorf("ids %v", ids)
	}
	if res.Pages != 3 || res.NumberMatched != 5 || res.Returned != 5 || res.More {
		t.Errorf("result %+v", res)
	}
	if len(f.bodies) != 0 || len(f.gets) != 3 {
		t.Fatalf("%d POSTs, %d GETs", len(f.bodies), len(f.gets))
	}
	if !strings.Contains(f.gets[0], "bbox=1%2C2%2C3%2C4") || !strings.Contains(f.gets[0], "sortby=-datetime") || !strings.Contains(f.gets[2], "token=4") {
		t.Errorf("queries %q", f.gets)
	}
}

func TestSearchPOSTMergesNextBody(t *testing.T) {
	f := &fakeAPI{n: 5, post: true}
	srv := f.start(t)
	ids, res, err := collect(t, srv.URL, Params{Limit: 2, BBox: []float64{1, 2, 3, 4}, Filter: "a = 1", FilterJSON: json.RawMessage(`{"op":"=","args":[{"property":"a"},1]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 5 || res.Pages != 3 {
		t.Errorf("ids %v, result %+v", ids, res)
	}
	if len(f.gets) != 0 || len(f.bodies) != 3 {
		t.Fatalf("%d POSTs, %d GETs", len(f.bodies), len(f.gets))
	}
	last := f.bodies[2]
	if last["token"] != "4" || last["limit"] != float64(2) || last["filter-lang"] != "cql2-json" {
		t.Errorf("last body %v", last)
	}
	if _, ok := last["filter"].(map[string]any); !ok {
		t.Errorf("filter sent as %T, want cql2-json", last["filter"])
	}
}

func TestSearchMaxItems(t *testing.T) {
	f := &fakeAPI{n: 5}
	srv := f.start(t)
	ids, res, err := collect(t, srv.URL, Params{Limit: 2, MaxItems: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || !res.More || res.Pages != 2 {
		t.Errorf("ids %v, result %+v", ids, res)
	}
	// MaxItems smaller than the page size asks for that many only.
	ids, res, err = collect(t, srv.URL, Params{MaxItems: 4})
	if err != nil || len(ids) != 4 || res.Pages != 1 || !strings.Contains(f.gets[len(f.gets)-1], "limit=4") || !res.More {
		t.Errorf("ids %v, result %+v, err %v, query %q", ids, res, err, f.gets[len(f.gets)-1])
	}
	// Exactly all: no more, whether the last page links a next one or not.
	_, res, _ = collect(t, srv.URL, Params{MaxItems: 5, Limit: 5})
	if res.More {
		t.Errorf("5 of 5 says more: %+v", res)
	}
	f.linkEmpty = true
	_, res, _ = collect(t, srv.URL, Params{MaxItems: 5, Limit: 5})
	if res.More {
		t.Errorf("5 of 5 with a next link says more: %+v", res)
	}
}

func TestSearchErrors(t *testing.T) {
	f := &fakeAPI{n: 5}
	srv := f.start(t)
	_, _, err := collect(t, srv.URL, Params{Limit: 99})
	if !errors.Is(err, ErrAPI) || !strings.Contains(err.Error(), "400 Bad Request: InvalidParameterValue: limit 99 is unlucky") || strings.Contains(err.Error(), "\n") {
		t.Errorf("got %v", err)
	}
	_, _, err = collect(t, srv.URL+"/nothing/", Params{})
	if !errors.Is(err, ErrAPI) || !strings.Contains(err.Error(), "404") {
		t.Errorf("got %v", err)
	}
	_, _, err = collect(t, "ftp://x/", Params{})
	if err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
		t.Errorf("got %v", err)
	}
	noSearch := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"type":"Catalog","links":[]}`))
	}))
	defer noSearch.Close()
	_, _, err = collect(t, noSearch.URL, Params{})
	if err == nil || !strings.Contains(err.Error(), "offers no item search") {
		t.Errorf("got %v", err)
	}
	// A server whose next link never changes is not followed forever.
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Write([]byte(`{"conformsTo":["https://api.stacspec.org/v1.0.0/item-search"],"links":[]}`))
			return
		}
		w.Write([]byte(`{"type":"FeatureCollection","features":[{"id":"x","properties":{}}],"links":[{"rel":"next","href":"/search?token=same"}]}`))
	}))
	defer loop.Close()
	ids, _, err := collect(t, loop.URL, Params{})
	if err == nil || !strings.Contains(err.Error(), "repeats an earlier page") || len(ids) != 2 {
		t.Errorf("ids %v, err %v", ids, err)
	}
}
