package cql2

import "testing"

// FuzzParseText checks that no input makes the parser panic, that whatever parses is
// written back by Text to a filter that parses to the same expression, and that Eval and
// MarshalJSON never panic on it either.
func FuzzParseText(f *testing.F) {
	for _, s := range []string{
		`eo:cloud_cover < 10 AND platform IN ('sentinel-2a', 'sentinel-2b')`,
		`NOT (a LIKE 'x%\_' OR b NOT BETWEEN -1.5e3 AND 2) AND c IS NOT NULL`,
		`S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0))) OR S_WITHIN(geometry, BBOX(170, -10, -170, 10))`,
		`T_DURING(INTERVAL(start_datetime, '..'), INTERVAL('2020-01-01', '2024-05-01T10:00:00Z'))`,
		`A_CONTAINS(tags, ('a', [1, 2])) AND CASEI("my ""name""") = ACCENTI('Zürich')`,
		`a + b * -c ^ 2 div 3 % 4 = f(x, DATE('2020-01-01'), TIMESTAMP('2020-01-01T00:00:00Z'), TRUE)`,
		`S_CROSSES(geometry, GEOMETRYCOLLECTION(POINT Z (1 2 3), LINESTRING EMPTY))`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseText(s)
		if err != nil {
			return
		}
		text := Text(e)
		back, err := ParseText(text)
		if err != nil {
			t.Fatalf("Text(ParseText(%q)) = %q does not parse: %v", s, text, err)
		}
		if !sameExpr(e, back) {
			t.Fatalf("ParseText(%q) = %#v, but its Text %q parses to %#v", s, e, text, back)
		}
		if again := Text(back); again != text {
			t.Fatalf("Text is not stable: %q, then %q", text, again)
		}
		_, _ = MarshalJSON(e)
		_, _ = Eval(e, item)
		_, _ = Eval(e, span)
	})
}

// FuzzParseJSON checks that no input makes the cql2-json parser panic and that whatever
// parses survives MarshalJSON and Text unchanged.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"op":"and","args":[{"op":"<","args":[{"property":"eo:cloud_cover"},10]},{"op":"in","args":[{"property":"platform"},["a","b"]]}]}`,
		`{"op":"t_intersects","args":[{"property":"datetime"},{"interval":["2020-01-01",{"property":"end"}]}]}`,
		`{"op":"s_within","args":[{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},{"bbox":[0,0,2,2]}]}`,
		`{"op":"a_contains","args":[{"property":"tags"},[["x"],{"timestamp":"2020-01-01T00:00:00Z"},{"date":"2020-01-01"}]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseJSON(b)
		if err != nil {
			return
		}
		j, err := MarshalJSON(e)
		if err != nil {
			t.Fatalf("MarshalJSON(ParseJSON(%q)): %v", b, err)
		}
		back, err := ParseJSON(j)
		if err != nil || !sameExpr(e, back) {
			t.Fatalf("ParseJSON(%q) = %#v, but its MarshalJSON %s gives %#v, %v", b, e, j, back, err)
		}
		_ = Text(e)
		_, _ = Eval(e, item)
	})
}
