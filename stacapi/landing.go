package stacapi

import (
	_ "embed"
	"encoding/json"
	"net/http"
)

// stacVersion is the STAC version of the documents the API writes itself (landing page,
// collections); items keep the version they were pushed with.
const stacVersion = "1.1.0"

// link is a STAC link object.
type link struct {
	Rel    string `json:"rel"`
	Href   string `json:"href"`
	Type   string `json:"type,omitempty"`
	Title  string `json:"title,omitempty"`
	Method string `json:"method,omitempty"`
	Body   any    `json:"body,omitempty"`
	Merge  bool   `json:"merge,omitempty"`
}

func (s *server) landing(w http.ResponseWriter, r *http.Request, u urls, _ []string) error {
	links := []link{
		{Rel: "self", Href: u.at(), Type: typeJSON},
		{Rel: "root", Href: u.at(), Type: typeJSON},
		{Rel: "conformance", Href: u.at("conformance"), Type: typeJSON, Title: "Conformance classes"},
		{Rel: "data", Href: u.at("collections"), Type: typeJSON, Title: "Collections"},
		{Rel: "search", Href: u.at("search"), Type: typeGeoJSON, Method: http.MethodGet, Title: "Item search"},
		{Rel: "search", Href: u.at("search"), Type: typeGeoJSON, Method: http.MethodPost, Title: "Item search"},
		{Rel: "service-desc", Href: u.at("api"), Type: typeOpenAPI, Title: "OpenAPI description"},
		{Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Href: u.at("queryables"), Type: typeSchema, Title: "Queryables"},
	}
	cols, err := s.ix.Collections(r.Context())
	if err != nil {
		return err
	}
	for _, c := range cols {
		links = append(links, link{Rel: "child", Href: u.at("collections", c.ID), Type: typeJSON, Title: c.ID})
	}
	return writeJSON(w, r, typeJSON, map[string]any{
		"type":         "Catalog",
		"id":           "eopack",
		"title":        s.o.Title,
		"description":  "Earth-observation products stored in an OCI registry, found by place, time and properties.",
		"stac_version": stacVersion,
		"conformsTo":   s.classes,
		"links":        links,
	})
}

//go:embed openapi.json
var openAPIDoc []byte

// openAPI answers the OpenAPI 3.0 description of the API with its server URL set to the
// API's root.
func (s *server) openAPI(w http.ResponseWriter, r *http.Request, u urls, _ []string) error {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		return err
	}
	doc["servers"] = []map[string]string{{"url": u.root}}
	if info, ok := doc["info"].(map[string]any); ok {
		info["title"] = s.o.Title + " STAC API"
	}
	return writeJSON(w, r, typeOpenAPI, doc)
}

// queryables answers the JSON Schema of what a filter may use, across all collections or
// for one.
func (s *server) queryables(w http.ResponseWriter, r *http.Request, u urls, args []string) error {
	collection, id := "", u.at("queryables")
	if len(args) == 1 {
		collection, id = args[0], u.at("collections", args[0], "queryables")
		if _, err := s.ix.Collection(r.Context(), collection); err != nil {
			return err
		}
	}
	props, err := s.ix.Queryables(r.Context(), collection)
	if err != nil {
		return err
	}
	if props == nil {
		props = map[string]any{}
	}
	return writeJSON(w, r, typeSchema, map[string]any{
		"$schema":              "https://json-schema.org/draft/2019-09/schema",
		"$id":                  id,
		"type":                 "object",
		"title":                "Queryables",
		"properties":           props,
		"additionalProperties": true,
	})
}
