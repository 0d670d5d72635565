package stacapi

import (
	"io"
	"net/http"
	"time"
)

// maxBody bounds a POST /search body (an intersects geometry may be large, not unbounded).
const maxBody = 16 << 20

func (s *server) searchGet(w http.ResponseWriter, r *http.Request, u urls, _ []string) error {
	req, err := parseQuery(r.URL.Query())
	if err != nil {
		return err
	}
	return s.answerSearch(w, r, u, req, u.at("search"), getPager(u.at("search"), r))
}

func (s *server) searchPost(w http.ResponseWriter, r *http.Request, u urls, _ []string) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return badRequest("search body: %v", err)
	}
	req, err := parseBody(b)
	if err != nil {
		return err
	}
	return s.answerSearch(w, r, u, req, u.at("search"), func(token string) link {
		return link{Rel: "next", Href: u.at("search"), Type: typeGeoJSON, Method: http.MethodPost,
			Body: map[string]string{"token": token}, Merge: true}
	})
}

// items serves /collections/{id}/items: a search restricted to one collection.
func (s *server) items(w http.ResponseWriter, r *http.Request, u urls, args []string) error {
	if _, err := s.ix.Collection(r.Context(), args[0]); err != nil {
		return err
	}
	req, err := parseQuery(r.URL.Query())
	if err != nil {
		return err
	}
	req.q.Collections = []string{args[0]}
	self := u.at("collections", args[0], "items")
	extra := []link{
		{Rel: "collection", Href: u.at("collections", args[0]), Type: typeJSON},
		{Rel: "parent", Href: u.at("collections", args[0]), Type: typeJSON},
	}
	return s.answerSearch(w, r, u, req, self, getPager(self, r), extra...)
}

// getPager makes the next link of a GET: the same query with the page's token.
func getPager(href string, r *http.Request) func(token string) link {
	return func(token string) link {
		q := r.URL.Query()
		q.Set("token", token)
		return link{Rel: "next", Href: href + "?" + q.Encode(), Type: typeGeoJSON, Method: http.MethodGet}
	}
}

// answerSearch runs a query and writes the ItemCollection, linking the next page.
func (s *server) answerSearch(w http.ResponseWriter, r *http.Request, u urls, req request, self string, next func(string) link, extra ...link) error {
	page, err := s.ix.Search(r.Context(), req.q)
	if err != nil {
		return err
	}
	selfHref := self
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		selfHref += "?" + r.URL.RawQuery
	}
	links := append([]link{
		{Rel: "self", Href: selfHref, Type: typeGeoJSON},
		{Rel: "root", Href: u.at(), Type: typeJSON},
	}, extra...)
	if page.Next != "" {
		links = append(links, next(page.Next))
	}
	feats := make([]map[string]any, 0, len(page.Hits))
	for _, h := range page.Hits {
		item, err := s.renderItem(u, h)
		if err != nil {
			return err
		}
		if req.fields != nil {
			item = req.fields.apply(item)
		}
		feats = append(feats, item)
	}
	out := map[string]any{
		"type":           "FeatureCollection",
		"features":       feats,
		"links":          links,
		"numberReturned": len(feats),
		"timeStamp":      time.Now().UTC().Format(time.RFC3339),
	}
	if page.NumberMatched >= 0 && req.q.Count {
		out["numberMatched"] = page.NumberMatched
	}
	return writeJSON(w, r, typeGeoJSON, out)
}

// item serves /collections/{id}/items/{itemId}.
func (s *server) item(w http.ResponseWriter, r *http.Request, u urls, args []string) error {
	h, err := s.ix.Item(r.Context(), args[0], args[1])
	if err != nil {
		return err
	}
	item, err := s.renderItem(u, h)
	if err != nil {
		return err
	}
	return writeJSON(w, r, typeGeoJSON, item)
}
