package stacapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/eopack/eopack/stacindex"
)

func (s *server) collections(w http.ResponseWriter, r *http.Request, u urls, _ []string) error {
	cols, err := s.ix.Collections(r.Context())
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(cols))
	for _, c := range cols {
		m, err := renderCollection(u, c)
		if err != nil {
			return err
		}
		out = append(out, m)
	}
	return writeJSON(w, r, typeJSON, map[string]any{
		"collections":    out,
		"numberMatched":  len(out),
		"numberReturned": len(out),
		"links": []link{
			{Rel: "self", Href: u.at("collections"), Type: typeJSON},
			{Rel: "root", Href: u.at(), Type: typeJSON},
			{Rel: "parent", Href: u.at(), Type: typeJSON},
		},
	})
}

func (s *server) collection(w http.ResponseWriter, r *http.Request, u urls, args []string) error {
	c, err := s.ix.Collection(r.Context(), args[0])
	if err != nil {
		return err
	}
	m, err := renderCollection(u, c)
	if err != nil {
		return err
	}
	return writeJSON(w, r, typeJSON, m)
}

// renderCollection is a collection as the API serves it: the extent, count and summaries
// computed from its items, overridden field by field by a pushed Collection document, and
// the API's links.
func renderCollection(u urls, c stacindex.Collection) (map[string]any, error) {
	bbox := c.BBox
	if len(bbox) == 0 {
		bbox = []float64{-180, -90, 180, 90}
	}
	summaries := c.Summaries
	if summaries == nil {
		summaries = map[string]any{}
	}
	m := map[string]any{
		"type":         "Collection",
		"stac_version": stacVersion,
		"id":           c.ID,
		"title":        c.ID,
		"description":  fmt.Sprintf("EO products of collection %s (%s).", c.ID, plural(c.Count, "item")),
		"license":      "other",
		"extent": map[string]any{
			"spatial":  map[string]any{"bbox": [][]float64{bbox}},
			"temporal": map[string]any{"interval": [][]any{{timeOrNil(c.Start), timeOrNil(c.End)}}},
		},
		"summaries": summaries,
	}
	var docLinks any
	if len(c.Doc) > 0 {
		doc, err := decodeJSON(c.Doc)
		if err != nil {
			return nil, fmt.Errorf("collection document of %s: %w", c.ID, err)
		}
		docLinks = doc["links"]
		for k, v := range doc {
			m[k] = v
		}
		m["id"] = c.ID
	}
	links := []any{
		link{Rel: "self", Href: u.at("collections", c.ID), Type: typeJSON},
		link{Rel: "root", Href: u.at(), Type: typeJSON},
		link{Rel: "parent", Href: u.at(), Type: typeJSON},
		link{Rel: "items", Href: u.at("collections", c.ID, "items"), Type: typeGeoJSON},
		link{Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Href: u.at("collections", c.ID, "queryables"), Type: typeSchema},
	}
	m["links"] = append(links, keptLinks(docLinks)...)
	return m, nil
}

// timeOrNil is an RFC 3339 time or JSON null (an open end).
func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// plural writes "1 item", "2 items".
func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
