package stacsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// landing is what the search needs from a landing page: where item search is and whether it
// takes POST.
type landing struct {
	search *url.URL
	post   bool
}

// maxLanding is the size of a landing page the client accepts.
const maxLanding = 16 << 20

// landing reads the landing page at root. The search endpoint is its rel=search link; an API
// whose page has none, but that conforms to item-search, has it at {root}/search. POST is
// used when a rel=search link says method POST.
func (c *Client) landing(ctx context.Context, root string) (landing, error) {
	u, err := url.Parse(root)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return landing{}, fmt.Errorf("%q: not an http(s) URL of a STAC API", root)
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, url: u.String()})
	if err != nil {
		return landing{}, err
	}
	defer resp.Body.Close()
	var page struct {
		Type       string   `json:"type"`
		ConformsTo []string `json:"conformsTo"`
		Links      []link   `json:"links"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxLanding)).Decode(&page); err != nil {
		return landing{}, fmt.Errorf("%s: not a STAC API landing page: %v", root, err)
	}
	base := resp.Request.URL
	var l landing
	for _, k := range page.Links {
		if k.Rel != "search" {
			continue
		}
		su, err := base.Parse(k.Href)
		if err != nil {
			return landing{}, fmt.Errorf("%s: search link %q: %v", root, k.Href, err)
		}
		if l.search == nil {
			l.search = su
		}
		if strings.EqualFold(k.Method, http.MethodPost) {
			l.search, l.post = su, true
		}
	}
	if l.search == nil {
		if !slices.ContainsFunc(page.ConformsTo, func(c string) bool { return strings.HasSuffix(c, "/item-search") }) {
			return landing{}, fmt.Errorf("%s: the API offers no item search (no rel=search link, no item-search conformance)", root)
		}
		s := *base
		s.Path = strings.TrimSuffix(s.Path, "/") + "/search"
		s.RawQuery = ""
		l.search = &s
	}
	return l, nil
}
