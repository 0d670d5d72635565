package stacsearch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Doer sends HTTP requests: an *http.Client, or oras-go's auth.Client for an API behind the
// registry's credentials.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Client searches STAC APIs. The zero value uses http.DefaultClient.
type Client struct {
	HTTP Doer
}

// Result says how a search went once every item was handed over.
type Result struct {
	NumberMatched int64 // the server's numberMatched on the first page; -1 when it gave none
	Returned      int   // items handed to the callback
	Pages         int   // pages fetched
	More          bool  // MaxItems stopped the search while the server had more
}

// ErrAPI is wrapped by errors a STAC API answered (an HTTP status other than 200).
var ErrAPI = errors.New("STAC API error")

// maxErrorBody is how much of an error response is read to explain it.
const maxErrorBody = 64 << 10

// maxPage is the size of a page (a FeatureCollection) the client accepts.
const maxPage = 256 << 20

// Search runs the search p against the STAC API whose landing page is at root and calls
// each for every item, in the server's order, as pages arrive.
func (c *Client) Search(ctx context.Context, root string, p Params, each func(item json.RawMessage) error) (Result, error) {
	res := Result{NumberMatched: -1}
	land, err := c.landing(ctx, root)
	if err != nil {
		return res, err
	}
	limit := p.Limit
	if p.MaxItems > 0 && (limit == 0 || limit > p.MaxItems) {
		limit = p.MaxItems
	}
	var req request
	if land.post {
		req = request{method: http.MethodPost, url: land.search.String(), body: postBody(p, limit)}
	} else {
		u := *land.search
		u.RawQuery = getQuery(p, limit).Encode()
		req = request{method: http.MethodGet, url: u.String()}
	}
	seen := map[string]bool{}
	for {
		pg, base, err := c.page(ctx, req)
		if err != nil {
			return res, err
		}
		res.Pages++
		if res.Pages == 1 && pg.NumberMatched != nil {
			res.NumberMatched = *pg.NumberMatched
		}
		for _, f := range pg.Features {
			if p.MaxItems > 0 && res.Returned == p.MaxItems {
				res.More = true
				return res, nil
			}
			if err := each(f); err != nil {
				return res, err
			}
			res.Returned++
		}
		next := pg.next()
		if next == nil || len(pg.Features) == 0 {
			return res, nil
		}
		if p.MaxItems > 0 && res.Returned == p.MaxItems {
			// A server may link a next page that turns out empty: trust its count if it gave one.
			res.More = res.NumberMatched < 0 || res.NumberMatched > int64(res.Returned)
			return res, nil
		}
		if req, err = follow(req, base, *next); err != nil {
			return res, err
		}
		key := req.method + " " + req.url
		if req.method == http.MethodPost {
			b, _ := json.Marshal(req.body)
			key += " " + string(b)
		}
		if seen[key] {
			return res, fmt.Errorf("%s %s: the next link repeats an earlier page", req.method, req.url)
		}
		seen[key] = true
	}
}

// page is one page of results.
type page struct {
	Type          string            `json:"type"`
	Features      []json.RawMessage `json:"features"`
	Links         []link            `json:"links"`
	NumberMatched *int64            `json:"numberMatched"`
	Context       *struct {         // the older context extension
		Matched *int64 `json:"matched"`
	} `json:"context"`
}

func (p page) next() *link {
	for i := range p.Links {
		if p.Links[i].Rel == "next" && p.Links[i].Href != "" {
			return &p.Links[i]
		}
	}
	return nil
}

// page fetches one page; base is the URL it came from, against which its links resolve.
func (c *Client) page(ctx context.Context, r request) (page, *url.URL, error) {
	var pg page
	resp, err := c.do(ctx, r)
	if err != nil {
		return pg, nil, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxPage)).Decode(&pg); err != nil {
		return pg, nil, fmt.Errorf("%s %s: not a FeatureCollection: %v", r.method, r.url, err)
	}
	if pg.Type != "FeatureCollection" {
		return pg, nil, fmt.Errorf("%s %s: not a FeatureCollection (type %q)", r.method, r.url, pg.Type)
	}
	if pg.NumberMatched == nil && pg.Context != nil {
		pg.NumberMatched = pg.Context.Matched
	}
	return pg, resp.Request.URL, nil
}

// do sends r and returns a 200 response, or the API's error as one line.
func (c *Client) do(ctx context.Context, r request) (*http.Response, error) {
	req, err := r.build(ctx)
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, apiError(r.method, r.url, resp)
}

// apiError explains a failed response in one line: the STAC API's {code, description} body
// when there is one, else the start of the body.
func apiError(method, u string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var e struct {
		Code        string `json:"code"`
		Description string `json:"description"`
	}
	msg := ""
	if json.Unmarshal(b, &e) == nil && (e.Code != "" || e.Description != "") {
		msg = strings.TrimPrefix(e.Code+": "+e.Description, ": ")
	} else if s := strings.Join(strings.Fields(string(b)), " "); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		msg = s
	}
	line := fmt.Sprintf("%s %s: %s", method, redact(u), resp.Status)
	if msg != "" {
		line += ": " + msg
	}
	return fmt.Errorf("%w: %s", ErrAPI, line)
}

// redact drops the query of u (tokens, long filters) from messages.
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
