package cql2

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTextErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{``, `filter: position 1: empty filter`},
		{`eo:cloud_cover <`, `filter: position 17: unexpected end of filter`},
		{`(a = 1 OR b = 2`, `filter: position 16: expected ')', found end of filter`},
		{`a = 'abc`, `filter: position 5: unterminated string`},
		{`"abc = 1`, `filter: position 1: unterminated quoted identifier`},
		{`a = 1 b = 2`, `filter: position 7: unexpected 'b'`},
		{`a = 1 AND`, `filter: position 10: unexpected end of filter`},
		{`a IS 5`, `filter: position 6: expected NULL, found '5'`},
		{`a NOT = 5`, `filter: position 7: expected LIKE, BETWEEN or IN after NOT, found '='`},
		{`a BETWEEN 1 OR 2`, `filter: position 13: expected AND, found 'OR'`},
		{`a IN 1`, `filter: position 6: expected '(' after IN, found '1'`},
		{`a = 1e`, `filter: position 5: malformed number "1e"`},
		{`a = 12abc`, `filter: position 5: malformed number "12a"`},
		{`a = 1e999`, `filter: position 5: number 1e999 out of range`},
		{`a = #`, `filter: position 5: unexpected '#'`},
		{`a = TIMESTAMP('yesterday')`, `filter: position 15: invalid timestamp 'yesterday' (want RFC 3339, e.g. 2024-05-01T10:00:00Z)`},
		{`a = DATE('2020-13-01')`, `filter: position 10: invalid date '2020-13-01' (want YYYY-MM-DD)`},
		{`T_AFTER(a, INTERVAL('2020-01-01'))`, `filter: position 33: expected ',', found ')'`},
		{`T_AFTER(a, INTERVAL(1, 2))`, `filter: position 21: expected a date, a timestamp, '..' or a property, found '1'`},
		{`S_INTERSECTS(geometry, BBOX(1, 2, 3))`, `filter: position 28: BBOX takes 4 or 6 numbers, not 3`},
		{`S_INTERSECTS(geometry, BBOX(0, 5, 1, 4))`, `filter: position 28: BBOX south is greater than north`},
		{`S_INTERSECTS(geometry)`, `filter: position 1: S_INTERSECTS takes 2 arguments, not 1`},
		{`CASEI(a, b) = 'x'`, `filter: position 1: CASEI takes 1 argument, not 2`},
		{`S_INTERSECTS(geometry, POINT(1))`, `filter: position 24: invalid geometry: invalid WKT syntax: strconv.ParseFloat: parsing ")": invalid syntax`},
		{`S_INTERSECTS(geometry, POINT(1 2)`, `filter: position 34: expected ')', found end of filter`},
		{`S_INTERSECTS(geometry, POLYGON((0 0, 1 1)`, `filter: position 42: unterminated geometry`},
		{`AND = 1`, `filter: position 1: unexpected AND`},
		{strings.Repeat("(", 500) + "a = 1" + strings.Repeat(")", 500), `filter: position 201: filter nested too deeply`},
		{`café = 'x' AND ü <`, `filter: position 19: unexpected end of filter`},
	} {
		_, err := ParseText(c.in)
		if err == nil {
			t.Errorf("ParseText(%s) succeeded, want %s", c.in, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("ParseText(%s):\n got %s\nwant %s", c.in, err, c.want)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{``, `filter: empty cql2-json`},
		{`{"op":"=","args":[`, `filter: invalid JSON: unexpected end of JSON input`},
		{`{"op":"=","args":[{"property":"a"}]}`, `filter: '=' takes 2 arguments, not 1`},
		{`{"op":"frobnicate!","args":[]}`, `filter: unknown operator "frobnicate!"`},
		{`{"op":"in","args":[{"property":"a"},"b"]}`, `filter: IN takes an array as its second argument`},
		{`{"op":"=","args":[{"property":"a"},null]}`, `filter: null is not a CQL2 value (use isNull)`},
		{`{"prop":"a"}`, `filter: unknown object with keys ["prop"]`},
		{`{"property":5}`, `filter: "property" takes a string`},
		{`{"timestamp":"2020-01-01"}`, `filter: invalid timestamp '2020-01-01' (want RFC 3339, e.g. 2024-05-01T10:00:00Z)`},
		{`{"interval":["2020-01-01"]}`, `filter: "interval" takes an array of two bounds`},
		{`{"interval":["2020-01-01", 5]}`, `filter: an interval's bounds are dates, timestamps, ".." or properties`},
		{`{"bbox":[1,2,3]}`, `filter: BBOX takes 4 or 6 numbers, not 3`},
		{`{"type":"Point","coordinates":[1]}`, `filter: invalid GeoJSON geometry: invalid GeoJSON syntax: invalid geojson coordinate length: 1`},
		{`{"op":"and","args":[true]}`, `filter: AND takes two or more arguments`},
	} {
		_, err := ParseJSON([]byte(c.in))
		if err == nil {
			t.Errorf("ParseJSON(%s) succeeded, want %s", c.in, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("ParseJSON(%s):\n got %s\nwant %s", c.in, err, c.want)
		}
	}
}

func TestErrorsAreOneLine(t *testing.T) {
	for _, in := range []string{"S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 0 0)))", "a = 'x\ny", "a =\n\n"} {
		if _, err := ParseText(in); err != nil && strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("ParseText(%q): multi-line error %q", in, err)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	f := feature{"name": "abc", "n": 5.0}
	for _, c := range []struct{ in, want string }{
		{`'abc' < 5`, `filter: cannot compare "abc" with a number`},
		{`5 LIKE 'x'`, `filter: LIKE takes strings, not 5`},
		{`'x' + 1 > 2`, `filter: '+' takes numbers, not "x"`},
		{`CASEI(5) = 'x'`, `filter: CASEI takes a string, not 5`},
		{`S_INTERSECTS(5, POINT(1 2))`, `filter: S_INTERSECTS takes geometries, not 5`},
		{`T_AFTER('soon', TIMESTAMP('2020-01-01T00:00:00Z'))`, `filter: T_AFTER takes timestamps, dates or intervals, not "soon"`},
		{`T_AFTER(DATE('2020-01-01'), INTERVAL('2020-01-02', '2020-01-01'))`, `filter: interval INTERVAL('2020-01-02', '2020-01-01') ends before it starts`},
		{`A_CONTAINS('x', ('x'))`, `filter: A_CONTAINS takes arrays, not "x"`},
		{`n + 1`, ``}, // a value of the feature is never an error: the item does not match
		{`1 + 5`, `filter: expected a boolean, found 6`},
	} {
		e, err := ParseText(c.in)
		if err != nil {
			t.Errorf("ParseText(%s): %v", c.in, err)
			continue
		}
		ok, err := Eval(e, f)
		if c.want == "" {
			if ok || err != nil {
				t.Errorf("Eval(%s) = %v, %v; want false, nil", c.in, ok, err)
			}
			continue
		}
		if err == nil || err.Error() != c.want {
			t.Errorf("Eval(%s) error = %v, want %s", c.in, err, c.want)
		}
	}
}

func TestEvalUnsupportedFunction(t *testing.T) {
	e, err := ParseText(`Buffer(geometry, 10) = TRUE`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Eval(e, feature{})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Eval of an unknown function: %v, want ErrUnsupported", err)
	}
	if want := "filter: function Buffer: not supported"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}
