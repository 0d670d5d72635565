// Package stacsearch is a client of STAC API item search (https://github.com/radiantearth/stac-api-spec,
// v1.0.0, item-search, sort, filter): it reads the landing page, sends the search as POST
// when the API advertises it (else GET), and follows `next` links across pages (GET links
// with a token, POST links with method, body and merge) until the results or MaxItems run out.
package stacsearch

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Params is one item search. The zero value searches everything.
type Params struct {
	BBox        []float64       // 4 or 6 numbers, w,s,(min z,)e,n(,max z)
	Intersects  json.RawMessage // a GeoJSON geometry
	Datetime    string          // an instant or an interval "a/b", ".." or "" for an open end (see ParseDatetime)
	Collections []string
	IDs         []string
	Filter      string          // cql2-text, sent as is in GET searches
	FilterJSON  json.RawMessage // the same filter as cql2-json, sent in POST bodies when set
	SortBy      []Sort
	Limit       int // page size; 0 = the server's default
	MaxItems    int // stop after this many items across pages; 0 = all
}

// Sort is one sortby key.
type Sort struct {
	Field string
	Desc  bool
}

// ParseSortBy reads "-datetime,+id,collection": a leading '-' sorts descending, '+' or none
// ascending.
func ParseSortBy(s string) ([]Sort, error) {
	var out []Sort
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		desc := strings.HasPrefix(f, "-")
		f = strings.TrimLeft(f, "+-")
		if f == "" {
			return nil, fmt.Errorf("sortby %q: empty field name", s)
		}
		out = append(out, Sort{Field: f, Desc: desc})
	}
	return out, nil
}

// ParseDatetime reads the datetime parameter and returns it as STAC API writes it: an RFC
// 3339 instant, or an interval "start/end" with ".." for an open end. Besides RFC 3339 it
// takes a date (2024-05-01), a month (2024-05) or a year (2024), each meaning the whole
// period, alone or as either end of an interval.
func ParseDatetime(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	a, b, interval := strings.Cut(s, "/")
	if !interval {
		start, end, err := period(a)
		if err != nil {
			return "", fmt.Errorf("datetime %q: %v", s, err)
		}
		if start.Equal(end) {
			return stamp(start), nil
		}
		return stamp(start) + "/" + stamp(end), nil
	}
	var lo, hi string
	var loT, hiT time.Time
	if a == "" || a == ".." {
		lo = ".."
	} else {
		t, _, err := period(a)
		if err != nil {
			return "", fmt.Errorf("datetime %q: %v", s, err)
		}
		lo, loT = stamp(t), t
	}
	if b == "" || b == ".." {
		hi = ".."
	} else {
		_, t, err := period(b)
		if err != nil {
			return "", fmt.Errorf("datetime %q: %v", s, err)
		}
		hi, hiT = stamp(t), t
	}
	if lo == ".." && hi == ".." {
		return "", fmt.Errorf("datetime %q: both ends open", s)
	}
	if lo != ".." && hi != ".." && hiT.Before(loT) {
		return "", fmt.Errorf("datetime %q: the end is before the start", s)
	}
	return lo + "/" + hi, nil
}

// period is the first and last instant s names: an RFC 3339 instant names itself; a date, a
// month or a year all of it, through its last nanosecond.
func period(s string) (time.Time, time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), t.UTC(), nil
	}
	for _, f := range []struct {
		layout string
		next   func(time.Time) time.Time
	}{
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	} {
		if t, err := time.Parse(f.layout, s); err == nil {
			return t, f.next(t).Add(-time.Nanosecond), nil
		}
	}
	return time.Time{}, time.Time{}, fmt.Errorf("%q is not RFC 3339 (2024-05-01T10:00:00Z), a date, a month or a year", s)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
