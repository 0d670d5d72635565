package stacsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// request is one page's request: a method, a URL, and for POST a JSON body kept as a map so
// that a `next` link's body can be merged into it.
type request struct {
	method  string
	url     string
	body    map[string]any
	headers map[string]string
}

func (r request) build(ctx context.Context) (*http.Request, error) {
	var rd *bytes.Reader
	if r.method == http.MethodPost {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequestWithContext(ctx, r.method, r.url, rd)
	} else {
		req, err = http.NewRequestWithContext(ctx, r.method, r.url, nil)
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/geo+json, application/json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	return req, nil
}

// postBody is the JSON body of a POST search.
func postBody(p Params, limit int) map[string]any {
	b := map[string]any{}
	if len(p.BBox) > 0 {
		b["bbox"] = p.BBox
	}
	if len(p.Intersects) > 0 {
		b["intersects"] = p.Intersects
	}
	if p.Datetime != "" {
		b["datetime"] = p.Datetime
	}
	if len(p.Collections) > 0 {
		b["collections"] = p.Collections
	}
	if len(p.IDs) > 0 {
		b["ids"] = p.IDs
	}
	switch {
	case len(p.FilterJSON) > 0:
		b["filter"] = p.FilterJSON
		b["filter-lang"] = "cql2-json"
	case p.Filter != "":
		b["filter"] = p.Filter
		b["filter-lang"] = "cql2-text"
	}
	if len(p.SortBy) > 0 {
		var s []map[string]string
		for _, k := range p.SortBy {
			dir := "asc"
			if k.Desc {
				dir = "desc"
			}
			s = append(s, map[string]string{"field": k.Field, "direction": dir})
		}
		b["sortby"] = s
	}
	if limit > 0 {
		b["limit"] = limit
	}
	return b
}

// getQuery is the query string of a GET search.
func getQuery(p Params, limit int) url.Values {
	q := url.Values{}
	if len(p.BBox) > 0 {
		s := make([]string, len(p.BBox))
		for i, f := range p.BBox {
			s[i] = strconv.FormatFloat(f, 'f', -1, 64)
		}
		q.Set("bbox", strings.Join(s, ","))
	}
	if len(p.Intersects) > 0 {
		q.Set("intersects", string(p.Intersects))
	}
	if p.Datetime != "" {
		q.Set("datetime", p.Datetime)
	}
	if len(p.Collections) > 0 {
		q.Set("collections", strings.Join(p.Collections, ","))
	}
	if len(p.IDs) > 0 {
		q.Set("ids", strings.Join(p.IDs, ","))
	}
	if p.Filter != "" {
		q.Set("filter", p.Filter)
		q.Set("filter-lang", "cql2-text")
	}
	if len(p.SortBy) > 0 {
		s := make([]string, len(p.SortBy))
		for i, k := range p.SortBy {
			s[i] = "+" + k.Field
			if k.Desc {
				s[i] = "-" + k.Field
			}
		}
		q.Set("sortby", strings.Join(s, ","))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

// link is a STAC link with the fields of a `next` link of item search.
type link struct {
	Rel     string            `json:"rel"`
	Href    string            `json:"href"`
	Type    string            `json:"type"`
	Method  string            `json:"method"`
	Body    map[string]any    `json:"body"`
	Merge   bool              `json:"merge"`
	Headers map[string]string `json:"headers"`
}

// follow is the request for the `next` link l after prev: GET unless the link says POST; a
// POST body is the link's body, merged into the previous body when the link says merge.
func follow(prev request, base *url.URL, l link) (request, error) {
	u, err := base.Parse(l.Href)
	if err != nil {
		return request{}, fmt.Errorf("next link %q: %v", l.Href, err)
	}
	r := request{method: http.MethodGet, url: u.String(), headers: l.Headers}
	if strings.EqualFold(l.Method, http.MethodPost) {
		r.method = http.MethodPost
		r.body = map[string]any{}
		if l.Merge && prev.method == http.MethodPost {
			maps.Copy(r.body, prev.body)
		}
		maps.Copy(r.body, l.Body)
	}
	return r, nil
}
