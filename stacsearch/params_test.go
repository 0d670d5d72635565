package stacsearch

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseDatetime(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z", ""},
		{"2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00Z", ""},
		{"2024-05-01", "2024-05-01T00:00:00Z/2024-05-01T23:59:59.999999999Z", ""},
		{"2024-02", "2024-02-01T00:00:00Z/2024-02-29T23:59:59.999999999Z", ""},
		{"2001", "2001-01-01T00:00:00Z/2001-12-31T23:59:59.999999999Z", ""},
		{"2001/2002-06", "2001-01-01T00:00:00Z/2002-06-30T23:59:59.999999999Z", ""},
		{"../2001-01-01T00:00:00Z", "../2001-01-01T00:00:00Z", ""},
		{"2001-01-01T00:00:00Z/", "2001-01-01T00:00:00Z/..", ""},
		{"", "", ""},
		{"../..", "", "both ends open"},
		{"2002/2001", "", "end is before the start"},
		{"yesterday", "", `"yesterday" is not RFC 3339`},
	} {
		got, err := ParseDatetime(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestParseSortBy(t *testing.T) {
	s, err := ParseSortBy("-datetime, +id,properties.eo:cloud_cover")
	want := []Sort{{"datetime", true}, {"id", false}, {"properties.eo:cloud_cover", false}}
	if err != nil || !reflect.DeepEqual(s, want) {
		t.Errorf("got %v %v", s, err)
	}
	if _, err := ParseSortBy("id,,-"); err == nil {
		t.Error("empty field accepted")
	}
}

func TestOutputs(t *testing.T) {
	items := []json.RawMessage{
		json.RawMessage(`{"type":"Feature","id":"a","collection":"c1","properties":{"datetime":"2024-01-01T00:00:00Z","eopack:reference":"r/x@sha256:1"}}`),
		json.RawMessage(`{"type":"Feature","id":"bb","properties":{"datetime":null,"start_datetime":"2024-01-01T00:00:00Z","end_datetime":"2024-02-01T00:00:00Z"},"links":[{"rel":"self","href":"http://h/stac/x"}]}`),
	}
	var tbl bytes.Buffer
	tw := NewTable(&tbl)
	var sums []Summary
	for _, it := range items {
		s, err := Summarize(it)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, s)
		tw.Add(s)
	}
	tw.Close()
	want := "ID  DATETIME                                   COLLECTION  REFERENCE\n" +
		"a   2024-01-01T00:00:00Z                       c1          r/x@sha256:1\n" +
		"bb  2024-01-01T00:00:00Z/2024-02-01T00:00:00Z              http://h/stac/x\n"
	if tbl.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", tbl.String(), want)
	}
	if !sums[0].Pullable || sums[1].Pullable {
		t.Errorf("pullable: %+v", sums)
	}
	var out bytes.Buffer
	c, _ := NewCollection(&out)
	for _, it := range items {
		if err := c.Add(it); err != nil {
			t.Fatal(err)
		}
	}
	c.Close(7)
	var fc struct {
		Type           string            `json:"type"`
		Features       []json.RawMessage `json:"features"`
		NumberMatched  *int64            `json:"numberMatched"`
		NumberReturned int               `json:"numberReturned"`
	}
	if err := json.Unmarshal(out.Bytes(), &fc); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != 2 || fc.NumberReturned != 2 || fc.NumberMatched == nil || *fc.NumberMatched != 7 {
		t.Errorf("collection %s", out.String())
	}
	out.Reset()
	c, _ = NewCollection(&out)
	c.Close(-1)
	if strings.Contains(out.String(), "numberMatched") || json.Unmarshal(out.Bytes(), &fc) != nil || fc.Features == nil {
		t.Errorf("empty collection %s", out.String())
	}
	if _, err := Summarize(json.RawMessage(`[1]`)); err == nil {
		t.Error("an array summarized")
	}
}

func TestGeometry(t *testing.T) {
	poly := `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`
	for _, in := range []string{
		poly,
		`{"type":"Feature","properties":{},"geometry":` + poly + `}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":` + poly + `}]}`,
	} {
		g, err := Geometry([]byte(in))
		if err != nil || string(g) != poly {
			t.Errorf("%s: %s %v", in, g, err)
		}
	}
	for in, want := range map[string]string{
		`{"type":"Feature","geometry":null}`:         "no geometry",
		`{"type":"FeatureCollection","features":[]}`: "of 0 features",
		`{"type":"Circle"}`:                          `"Circle"`,
		`not json`:                                   "not GeoJSON",
	} {
		if _, err := Geometry([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}
