package stacapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/peterstace/simplefeatures/geom"

	"github.com/eopack/eopack/cql2"
	"github.com/eopack/eopack/stac"
	"github.com/eopack/eopack/stacindex"
)

// Page sizes: a request without limit gets defaultLimit items a page; larger limits are
// clamped to maxLimit, smaller ones to 1.
const (
	defaultLimit = 10
	maxLimit     = 10000
)

// crs84 is the only CRS filters are read in (filter-crs).
var crs84 = map[string]bool{
	"http://www.opengis.net/def/crs/OGC/1.3/CRS84":  true,
	"https://www.opengis.net/def/crs/OGC/1.3/CRS84": true,
}

// request is a parsed search (or items) request.
type request struct {
	q      stacindex.Query
	fields *fields // nil: whole items
}

// searchBody is the JSON body of POST /search.
type searchBody struct {
	Collections []string        `json:"collections"`
	IDs         []string        `json:"ids"`
	BBox        []float64       `json:"bbox"`
	Intersects  json.RawMessage `json:"intersects"`
	Datetime    *string         `json:"datetime"`
	Limit       json.RawMessage `json:"limit"`
	SortBy      []struct {
		Field     string `json:"field"`
		Direction string `json:"direction"`
	} `json:"sortby"`
	Fields *struct {
		Include []string `json:"include"`
		Exclude []string `json:"exclude"`
	} `json:"fields"`
	Filter     json.RawMessage `json:"filter"`
	FilterLang string          `json:"filter-lang"`
	FilterCRS  string          `json:"filter-crs"`
	Token      string          `json:"token"`
	Count      *bool           `json:"count"`
}

// parseBody reads a POST /search body.
func parseBody(b []byte) (request, error) {
	var body searchBody
	if len(bytes.TrimSpace(b)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&body); err != nil {
			return request{}, badRequest("search body: %v", err)
		}
	}
	var r request
	var err error
	r.q.Collections, r.q.IDs, r.q.Token = nonEmpty(body.Collections), nonEmpty(body.IDs), body.Token
	r.q.Count = body.Count == nil || *body.Count
	if body.BBox != nil {
		if r.q.BBox, err = checkBBox(body.BBox); err != nil {
			return r, err
		}
	}
	if len(body.Intersects) > 0 && string(body.Intersects) != "null" {
		if r.q.Intersects, err = parseGeometry(body.Intersects); err != nil {
			return r, err
		}
	}
	if body.Datetime != nil {
		if r.q.Start, r.q.End, err = parseDatetime(*body.Datetime); err != nil {
			return r, err
		}
	}
	if r.q.Limit, err = parseLimitJSON(body.Limit); err != nil {
		return r, err
	}
	for _, s := range body.SortBy {
		if s.Field == "" {
			return r, badRequest("sortby: a field is empty")
		}
		desc := false
		switch strings.ToLower(s.Direction) {
		case "", "asc":
		case "desc":
			desc = true
		default:
			return r, badRequest("sortby: direction %q is neither asc nor desc", s.Direction)
		}
		r.q.SortBy = append(r.q.SortBy, stacindex.Sort{Field: s.Field, Desc: desc})
	}
	if body.Fields != nil {
		r.fields = newFields(body.Fields.Include, body.Fields.Exclude)
	}
	if r.q.Filter, err = parseFilterJSON(body.Filter, body.FilterLang, body.FilterCRS); err != nil {
		return r, err
	}
	return r, checkSpatial(r.q)
}

// parseQuery reads the query parameters of GET /search and GET /collections/{id}/items.
func parseQuery(v url.Values) (request, error) {
	var r request
	var err error
	r.q.Collections, r.q.IDs, r.q.Token = commaList(v.Get("collections")), commaList(v.Get("ids")), v.Get("token")
	r.q.Count = v.Get("count") != "false"
	if s := v.Get("bbox"); s != "" {
		var nums []float64
		for _, p := range strings.Split(s, ",") {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return r, badRequest("bbox: %q is not a number", p)
			}
			nums = append(nums, f)
		}
		if r.q.BBox, err = checkBBox(nums); err != nil {
			return r, err
		}
	}
	if s := v.Get("intersects"); s != "" {
		if r.q.Intersects, err = parseGeometry([]byte(s)); err != nil {
			return r, err
		}
	}
	if v.Has("datetime") {
		if r.q.Start, r.q.End, err = parseDatetime(v.Get("datetime")); err != nil {
			return r, err
		}
	}
	if r.q.Limit, err = parseLimit(v.Get("limit")); err != nil {
		return r, err
	}
	for _, f := range commaList(v.Get("sortby")) {
		// A "+" not percent-encoded arrives as a space.
		f = strings.TrimSpace(f)
		desc := strings.HasPrefix(f, "-")
		f = strings.TrimLeft(f, "+-")
		if f == "" {
			return r, badRequest("sortby: a field is empty")
		}
		r.q.SortBy = append(r.q.SortBy, stacindex.Sort{Field: f, Desc: desc})
	}
	if v.Has("fields") {
		var inc, exc []string
		for _, f := range commaList(v.Get("fields")) {
			f = strings.TrimSpace(f)
			if e, ok := strings.CutPrefix(f, "-"); ok {
				exc = append(exc, e)
			} else {
				inc = append(inc, strings.TrimPrefix(f, "+"))
			}
		}
		r.fields = newFields(inc, exc)
	}
	if s := v.Get("filter"); s != "" {
		lang := v.Get("filter-lang")
		if lang == "" {
			lang = "cql2-text"
		}
		if r.q.Filter, err = parseFilter([]byte(s), lang, v.Get("filter-crs")); err != nil {
			return r, err
		}
	}
	return r, checkSpatial(r.q)
}

// checkSpatial refuses bbox and intersects together.
func checkSpatial(q stacindex.Query) error {
	if q.BBox != nil && !q.Intersects.IsEmpty() {
		return badRequest("bbox and intersects cannot be used together")
	}
	return nil
}

// commaList splits a comma-separated parameter, dropping empty elements.
func commaList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func nonEmpty(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}

// checkBBox validates a bbox (stac.CheckBBox) as a request's.
func checkBBox(b []float64) ([]float64, error) {
	if err := stac.CheckBBox(b); err != nil {
		return nil, badRequest("bbox: %v", err)
	}
	return b, nil
}

// parseGeometry reads a GeoJSON geometry (not a Feature).
func parseGeometry(b []byte) (geom.Geometry, error) {
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return geom.Geometry{}, badRequest("intersects: not GeoJSON: %v", err)
	}
	switch probe.Type {
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
	default:
		return geom.Geometry{}, badRequest("intersects: %q is not a GeoJSON geometry type", probe.Type)
	}
	g, err := geom.UnmarshalGeoJSON(b)
	if err != nil {
		return geom.Geometry{}, badRequest("intersects: %v", oneLine(err))
	}
	return g, nil
}

// parseDatetime reads an RFC 3339 instant or an interval start/end where either end may be
// open ("" or ".."), not both.
func parseDatetime(s string) (start, end *time.Time, err error) {
	if s == "" {
		return nil, nil, badRequest("datetime is empty")
	}
	a, b, interval := strings.Cut(s, "/")
	if !interval {
		t, err := parseTime(a)
		if err != nil {
			return nil, nil, err
		}
		return &t, &t, nil
	}
	open := func(x string) bool { return x == "" || x == ".." }
	if open(a) && open(b) {
		return nil, nil, badRequest("datetime %q: both ends are open", s)
	}
	if !open(a) {
		t, err := parseTime(a)
		if err != nil {
			return nil, nil, err
		}
		start = &t
	}
	if !open(b) {
		t, err := parseTime(b)
		if err != nil {
			return nil, nil, err
		}
		end = &t
	}
	if start != nil && end != nil && start.After(*end) {
		return nil, nil, badRequest("datetime %q: start is after end", s)
	}
	return start, end, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, badRequest("datetime: %q is not an RFC 3339 date-time (e.g. 2024-05-01T00:00:00Z)", s)
	}
	return t.UTC(), nil
}

// parseLimit reads a page size; absent is the default, an integer out of range is clamped
// (written with an exponent too: 1e9), anything else is an error.
func parseLimit(s string) (int, error) {
	if s == "" {
		return defaultLimit, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, badRequest("limit: %q is not an integer", s)
	}
	return clampLimit(f, s)
}

// parseLimitJSON reads limit from a POST body: a number or a string of one.
func parseLimitJSON(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return defaultLimit, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return parseLimit(s)
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, badRequest("limit: %s is not an integer", raw)
	}
	return clampLimit(f, string(raw))
}

func clampLimit(f float64, written string) (int, error) {
	if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, badRequest("limit: %s is not an integer", written)
	}
	return int(min(max(f, 1), maxLimit)), nil
}

// parseFilterJSON reads the filter of a POST body: CQL2 JSON by default, or a string of
// CQL2 text with filter-lang cql2-text.
func parseFilterJSON(raw json.RawMessage, lang, crs string) (cql2.Expr, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if lang == "" {
		lang = "cql2-json"
	}
	if lang == "cql2-text" {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest("filter: with filter-lang cql2-text the filter is a string")
		}
		return parseFilter([]byte(s), lang, crs)
	}
	return parseFilter(raw, lang, crs)
}

// parseFilter parses a filter in lang (cql2-text or cql2-json) after checking filter-crs.
func parseFilter(b []byte, lang, crs string) (cql2.Expr, error) {
	if crs != "" && !crs84[crs] {
		return nil, badRequest("filter-crs: only %s is supported", "http://www.opengis.net/def/crs/OGC/1.3/CRS84")
	}
	var e cql2.Expr
	var err error
	switch lang {
	case "cql2-text":
		e, err = cql2.ParseText(string(b))
	case "cql2-json":
		e, err = cql2.ParseJSON(b)
	default:
		return nil, badRequest("filter-lang: %q is neither cql2-text nor cql2-json", lang)
	}
	if err != nil {
		return nil, badRequest("filter: %v", oneLine(err))
	}
	// A property may be named as in the item's JSON, "properties.eo:cloud_cover", as sortby
	// allows too.
	return cql2.RenameProperties(e, func(n string) string { return strings.TrimPrefix(n, "properties.") }), nil
}

// oneLine keeps the first line of an error message.
func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
