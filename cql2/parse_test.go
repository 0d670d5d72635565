package cql2

import (
	"testing"
	"time"

	"github.com/peterstace/simplefeatures/geom"
)

func prop(name string) Property { return Property{Name: name} }

func op(name string, args ...Expr) Op { return Op{Op: name, Args: args} }

func ts(s string) Timestamp {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return Timestamp{T: t.UTC()}
}

func date(s string) Date {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return Date{T: t}
}

func wkt(s string) Geometry {
	g, err := geom.UnmarshalWKT(s)
	if err != nil {
		panic(err)
	}
	return Geometry{G: g}
}

// parseCases are filters in both encodings with the AST both must give.
var parseCases = []struct {
	text, json string
	want       Expr
}{
	{`eo:cloud_cover < 10`, `{"op":"<","args":[{"property":"eo:cloud_cover"},10]}`,
		op("<", prop("eo:cloud_cover"), 10.0)},
	{`platform = 'sentinel-2a' and constellation<>'landsat'`,
		`{"op":"and","args":[{"op":"=","args":[{"property":"platform"},"sentinel-2a"]},{"op":"<>","args":[{"property":"constellation"},"landsat"]}]}`,
		op("and", op("=", prop("platform"), "sentinel-2a"), op("<>", prop("constellation"), "landsat"))},
	{`a = 1 OR b = 2 AND c = 3`,
		`{"op":"or","args":[{"op":"=","args":[{"property":"a"},1]},{"op":"and","args":[{"op":"=","args":[{"property":"b"},2]},{"op":"=","args":[{"property":"c"},3]}]}]}`,
		op("or", op("=", prop("a"), 1.0), op("and", op("=", prop("b"), 2.0), op("=", prop("c"), 3.0)))},
	{`(a = 1 OR b = 2) AND NOT c >= 3`,
		`{"op":"and","args":[{"op":"or","args":[{"op":"=","args":[{"property":"a"},1]},{"op":"=","args":[{"property":"b"},2]}]},{"op":"not","args":[{"op":">=","args":[{"property":"c"},3]}]}]}`,
		op("and", op("or", op("=", prop("a"), 1.0), op("=", prop("b"), 2.0)), op("not", op(">=", prop("c"), 3.0)))},
	{`"properties.eo:cloud_cover" <= -1.5e-3`, `{"op":"<=","args":[{"property":"properties.eo:cloud_cover"},-0.0015]}`,
		op("<=", prop("properties.eo:cloud_cover"), -0.0015)},
	{`"my ""odd"" name" > .5`, `{"op":">","args":[{"property":"my \"odd\" name"},0.5]}`,
		op(">", prop(`my "odd" name`), 0.5)},
	{`title = 'it''s'`, `{"op":"=","args":[{"property":"title"},"it's"]}`, op("=", prop("title"), "it's")},
	{`flag = TRUE AND other = false`, `{"op":"and","args":[{"op":"=","args":[{"property":"flag"},true]},{"op":"=","args":[{"property":"other"},false]}]}`,
		op("and", op("=", prop("flag"), true), op("=", prop("other"), false))},
	{`id LIKE 'S2%\_x'`, `{"op":"like","args":[{"property":"id"},"S2%\\_x"]}`, op("like", prop("id"), `S2%\_x`)},
	{`id NOT LIKE 'L%'`, `{"op":"not","args":[{"op":"like","args":[{"property":"id"},"L%"]}]}`,
		op("not", op("like", prop("id"), "L%"))},
	{`gsd BETWEEN 10 AND 20`, `{"op":"between","args":[{"property":"gsd"},10,20]}`, op("between", prop("gsd"), 10.0, 20.0)},
	{`gsd NOT BETWEEN 10 AND 20`, `{"op":"not","args":[{"op":"between","args":[{"property":"gsd"},10,20]}]}`,
		op("not", op("between", prop("gsd"), 10.0, 20.0))},
	{`platform IN ('sentinel-2a', 'sentinel-2b')`, `{"op":"in","args":[{"property":"platform"},["sentinel-2a","sentinel-2b"]]}`,
		op("in", prop("platform"), []Expr{"sentinel-2a", "sentinel-2b"})},
	{`platform NOT IN ('x')`, `{"op":"not","args":[{"op":"in","args":[{"property":"platform"},["x"]]}]}`,
		op("not", op("in", prop("platform"), []Expr{"x"}))},
	{`geometry IS NULL`, `{"op":"isNull","args":[{"property":"geometry"}]}`, op("isNull", prop("geometry"))},
	{`geometry IS NOT NULL`, `{"op":"not","args":[{"op":"isNull","args":[{"property":"geometry"}]}]}`,
		op("not", op("isNull", prop("geometry")))},
	{`CASEI(platform) = casei('Sentinel-2A')`, `{"op":"=","args":[{"op":"casei","args":[{"property":"platform"}]},{"op":"casei","args":["Sentinel-2A"]}]}`,
		op("=", op("casei", prop("platform")), op("casei", "Sentinel-2A"))},
	{`ACCENTI(city) = ACCENTI('Zürich')`, `{"op":"=","args":[{"op":"accenti","args":[{"property":"city"}]},{"op":"accenti","args":["Zürich"]}]}`,
		op("=", op("accenti", prop("city")), op("accenti", "Zürich"))},
	{`datetime >= TIMESTAMP('2024-05-01T10:00:00+02:00')`, `{"op":">=","args":[{"property":"datetime"},{"timestamp":"2024-05-01T08:00:00Z"}]}`,
		op(">=", prop("datetime"), ts("2024-05-01T08:00:00Z"))},
	{`updated < date('2020-01-31')`, `{"op":"<","args":[{"property":"updated"},{"date":"2020-01-31"}]}`,
		op("<", prop("updated"), date("2020-01-31"))},
	{`T_INTERSECTS(datetime, INTERVAL('2024-01-01', '..'))`, `{"op":"t_intersects","args":[{"property":"datetime"},{"interval":["2024-01-01",".."]}]}`,
		op("t_intersects", prop("datetime"), Interval{Start: date("2024-01-01"), End: ".."})},
	{`T_DURING(INTERVAL(start_datetime, end_datetime), INTERVAL('..', '2024-01-01T00:00:00.5Z'))`,
		`{"op":"t_during","args":[{"interval":[{"property":"start_datetime"},{"property":"end_datetime"}]},{"interval":["..","2024-01-01T00:00:00.5Z"]}]}`,
		op("t_during", Interval{Start: prop("start_datetime"), End: prop("end_datetime")}, Interval{Start: "..", End: ts("2024-01-01T00:00:00.5Z")})},
	{`t_finishedBy(a, b)`, `{"op":"t_finishedBy","args":[{"property":"a"},{"property":"b"}]}`, op("t_finishedBy", prop("a"), prop("b"))},
	{`T_METBY(a, b) and t_overlappedby(a, b)`, `{"op":"and","args":[{"op":"t_metBy","args":[{"property":"a"},{"property":"b"}]},{"op":"t_overlappedBy","args":[{"property":"a"},{"property":"b"}]}]}`,
		op("and", op("t_metBy", prop("a"), prop("b")), op("t_overlappedBy", prop("a"), prop("b")))},
	{`S_INTERSECTS(geometry, POINT(7.1 46.2))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[7.1,46.2]}]}`,
		op("s_intersects", prop("geometry"), wkt("POINT(7.1 46.2)"))},
	{`S_WITHIN(geometry, POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 3, 3 3, 2 2)))`,
		`{"op":"s_within","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,3],[3,3],[2,2]]]}]}`,
		op("s_within", prop("geometry"), wkt("POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,2 3,3 3,2 2))"))},
	{`S_CROSSES(geometry, LINESTRING Z (0 0 1, 5 5 2))`, `{"op":"s_crosses","args":[{"property":"geometry"},{"type":"LineString","coordinates":[[0,0,1],[5,5,2]]}]}`,
		op("s_crosses", prop("geometry"), wkt("LINESTRING Z(0 0 1,5 5 2)"))},
	{`S_EQUALS(geometry, MULTIPOINT((1 2), (3 4)))`, `{"op":"s_equals","args":[{"property":"geometry"},{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}]}`,
		op("s_equals", prop("geometry"), wkt("MULTIPOINT((1 2),(3 4))"))},
	{`s_touches(geometry, MULTILINESTRING((0 0, 1 1), (2 2, 3 3)))`,
		`{"op":"s_touches","args":[{"property":"geometry"},{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}]}`,
		op("s_touches", prop("geometry"), wkt("MULTILINESTRING((0 0,1 1),(2 2,3 3))"))},
	{`S_OVERLAPS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0))))`,
		`{"op":"s_overlaps","args":[{"property":"geometry"},{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}]}`,
		op("s_overlaps", prop("geometry"), wkt("MULTIPOLYGON(((0 0,1 0,1 1,0 0)))"))},
	{`S_CONTAINS(geometry, GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1)))`,
		`{"op":"s_contains","args":[{"property":"geometry"},{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,1]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}]}`,
		op("s_contains", prop("geometry"), wkt("GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))"))},
	{`S_DISJOINT(geometry, BBOX(170, -10, -170, 10))`, `{"op":"s_disjoint","args":[{"property":"geometry"},{"bbox":[170,-10,-170,10]}]}`,
		op("s_disjoint", prop("geometry"), BBox{170, -10, -170, 10})},
	{`S_INTERSECTS(geometry, BBOX(0, 0, -5, 1, 1, 5))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[0,0,-5,1,1,5]}]}`,
		op("s_intersects", prop("geometry"), BBox{0, 0, -5, 1, 1, 5})},
	{`A_CONTAINS(instruments, ('msi'))`, `{"op":"a_contains","args":[{"property":"instruments"},["msi"]]}`,
		op("a_contains", prop("instruments"), []Expr{"msi"})},
	{`A_EQUALS(('a', 'b'), tags) OR A_CONTAINEDBY(tags, ()) OR a_overlaps(tags, [1, (2, 3)])`,
		`{"op":"or","args":[{"op":"a_equals","args":[["a","b"],{"property":"tags"}]},{"op":"a_containedBy","args":[{"property":"tags"},[]]},{"op":"a_overlaps","args":[{"property":"tags"},[1,[2,3]]]}]}`,
		op("or", op("a_equals", []Expr{"a", "b"}, prop("tags")), op("a_containedBy", prop("tags"), []Expr{}),
			op("a_overlaps", prop("tags"), []Expr{1.0, []Expr{2.0, 3.0}}))},
	{`a + b * 2 - c / 4 > -d`,
		`{"op":">","args":[{"op":"-","args":[{"op":"+","args":[{"property":"a"},{"op":"*","args":[{"property":"b"},2]}]},{"op":"/","args":[{"property":"c"},4]}]},{"op":"*","args":[-1,{"property":"d"}]}]}`,
		op(">", op("-", op("+", prop("a"), op("*", prop("b"), 2.0)), op("/", prop("c"), 4.0)), op("*", -1.0, prop("d")))},
	{`2 ^ 3 ^ 2 = x % 5 + (y div 2)`,
		`{"op":"=","args":[{"op":"^","args":[2,{"op":"^","args":[3,2]}]},{"op":"+","args":[{"op":"%","args":[{"property":"x"},5]},{"op":"div","args":[{"property":"y"},2]}]}]}`,
		op("=", op("^", 2.0, op("^", 3.0, 2.0)), op("+", op("%", prop("x"), 5.0), op("div", prop("y"), 2.0)))},
	{`Buffer(geometry, 10, 'm') = TRUE`, `{"op":"=","args":[{"op":"Buffer","args":[{"property":"geometry"},10,"m"]},true]}`,
		op("=", op("Buffer", prop("geometry"), 10.0, "m"), true)},
	{`TRUE`, `true`, true},
}

func TestParseTextAndJSON(t *testing.T) {
	for _, c := range parseCases {
		fromText, err := ParseText(c.text)
		if err != nil {
			t.Errorf("ParseText(%s): %v", c.text, err)
			continue
		}
		if !sameExpr(fromText, c.want) {
			t.Errorf("ParseText(%s) = %#v, want %#v", c.text, fromText, c.want)
		}
		fromJSON, err := ParseJSON([]byte(c.json))
		if err != nil {
			t.Errorf("ParseJSON(%s): %v", c.json, err)
			continue
		}
		if !sameExpr(fromJSON, c.want) {
			t.Errorf("ParseJSON(%s) = %#v, want %#v", c.json, fromJSON, c.want)
		}
	}
}

func TestRoundTrips(t *testing.T) {
	for _, c := range parseCases {
		text := Text(c.want)
		back, err := ParseText(text)
		if err != nil || !sameExpr(back, c.want) {
			t.Errorf("ParseText(Text(%s)) = %#v, %v via %s", c.text, back, err, text)
		}
		j, err := MarshalJSON(c.want)
		if err != nil {
			t.Errorf("MarshalJSON(%s): %v", c.text, err)
			continue
		}
		back, err = ParseJSON(j)
		if err != nil || !sameExpr(back, c.want) {
			t.Errorf("ParseJSON(MarshalJSON(%s)) = %#v, %v via %s", c.text, back, err, j)
		}
	}
}

func TestTextIsCanonical(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`eo:cloud_cover<10 and platform='x'`, `eo:cloud_cover < 10 AND platform = 'x'`},
		{`a = 1 AND (b = 2 AND c = 3)`, `a = 1 AND (b = 2 AND c = 3)`},
		{`not (a = 1 or b = 2)`, `NOT (a = 1 OR b = 2)`},
		{`x not in (1,2)`, `NOT x IN (1, 2)`},
		{`a - (b - c) = (a - b) - c`, `a - (b - c) = a - b - c`},
		{`"and" = 'it''s' AND "date" IS NULL`, `"and" = 'it''s' AND "date" IS NULL`},
		{`s_intersects(geometry, point(1 2))`, `S_INTERSECTS(geometry, POINT(1 2))`},
		{`A_CONTAINS(tags, ('a'))`, `A_CONTAINS(tags, ('a'))`},
		{`x = [1]`, `x = [1]`},
		{`t_after(datetime, timestamp('2020-01-01T00:00:00.000Z'))`, `T_AFTER(datetime, TIMESTAMP('2020-01-01T00:00:00Z'))`},
	} {
		e, err := ParseText(c.in)
		if err != nil {
			t.Errorf("ParseText(%s): %v", c.in, err)
			continue
		}
		if got := Text(e); got != c.want {
			t.Errorf("Text(ParseText(%s)) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestMarshalJSONIsCompact(t *testing.T) {
	e, err := ParseText(`eo:cloud_cover < 10 AND T_INTERSECTS(datetime, INTERVAL('2024-01-01', '..'))`)
	if err != nil {
		t.Fatal(err)
	}
	j, err := MarshalJSON(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"op":"and","args":[{"op":"<","args":[{"property":"eo:cloud_cover"},10]},{"op":"t_intersects","args":[{"property":"datetime"},{"interval":["2024-01-01",".."]}]}]}`
	if string(j) != want {
		t.Errorf("MarshalJSON = %s, want %s", j, want)
	}
}

func TestProperties(t *testing.T) {
	e, err := ParseText(`a = 1 AND (b > a OR T_DURING(INTERVAL(start_datetime, '..'), INTERVAL('2020-01-01', end_datetime))) AND casei(c) LIKE 'x'`)
	if err != nil {
		t.Fatal(err)
	}
	got := Properties(e)
	want := []string{"a", "b", "start_datetime", "end_datetime", "c"}
	if len(got) != len(want) {
		t.Fatalf("Properties = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Properties = %q, want %q", got, want)
		}
	}
}
