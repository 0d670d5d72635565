package cql2

import (
	"testing"

	"github.com/peterstace/simplefeatures/geom"
)

func geometry(s string) geom.Geometry { return wkt(s).G }

// item is a Sentinel-2-like STAC item as the index hands it to Eval.
var item = feature{
	"id":             "S2B_MSIL2A_20240501T101559_T32TLT",
	"collection":     "sentinel-2-l2a",
	"datetime":       "2024-05-01T10:15:59Z",
	"platform":       "Sentinel-2B",
	"constellation":  "sentinel-2",
	"instruments":    []any{"msi"},
	"eo:cloud_cover": 7.5,
	"gsd":            10.0,
	"proj:code":      "EPSG:32632",
	"city":           "Zürich",
	"quality":        nil,
	"tags":           []any{"a", "b", "c"},
	"valid":          true,
	"geometry":       geometry("POLYGON((7 46, 8 46, 8 47, 7 47, 7 46))"),
}

// span is an item with a time range and no datetime.
var span = feature{
	"id":             "mosaic-2024-05",
	"datetime":       nil,
	"start_datetime": "2024-05-01T00:00:00Z",
	"end_datetime":   "2024-05-31T23:59:59Z",
	"geometry":       geometry("POINT(7.5 46.5)"),
}

func TestEval(t *testing.T) {
	for _, c := range []struct {
		f      feature
		filter string
		want   bool
	}{
		// comparisons
		{item, `eo:cloud_cover < 10`, true},
		{item, `eo:cloud_cover < 5`, false},
		{item, `eo:cloud_cover <= 7.5`, true},
		{item, `eo:cloud_cover <= 7.4`, false},
		{item, `eo:cloud_cover > 7`, true},
		{item, `eo:cloud_cover > 7.5`, false},
		{item, `eo:cloud_cover >= 7.5`, true},
		{item, `eo:cloud_cover >= 8`, false},
		{item, `gsd = 10`, true},
		{item, `gsd = 20`, false},
		{item, `gsd <> 20`, true},
		{item, `gsd <> 10`, false},
		{item, `platform = 'Sentinel-2B'`, true},
		{item, `platform = 'sentinel-2b'`, false},
		{item, `platform > 'Sentinel-2A'`, true},
		{item, `valid = TRUE`, true},
		{item, `valid = FALSE`, false},
		{item, `gsd = eo:cloud_cover + 2.5`, true},
		{item, `gsd < eo:cloud_cover`, false},
		// a value of another type, or NULL, never matches
		{item, `eo:cloud_cover = '7.5'`, false},
		{item, `eo:cloud_cover <> '7.5'`, false},
		{item, `missing = 1`, false},
		{item, `missing <> 1`, false},
		{item, `quality = 'good'`, false},
		// logic with NULL: unknown AND false is false, unknown OR true is true, NOT unknown is unknown
		{item, `missing = 1 OR gsd = 10`, true},
		{item, `missing = 1 AND gsd = 10`, false},
		{item, `NOT missing = 1`, false},
		{item, `NOT (missing = 1 AND gsd = 20)`, true},
		{item, `gsd = 10 AND platform = 'Sentinel-2B' AND valid`, true},
		{item, `gsd = 10 AND NOT valid`, false},
		{item, `TRUE`, true},
		{item, `FALSE OR FALSE`, false},
		// IS NULL
		{item, `missing IS NULL`, true},
		{item, `quality IS NULL`, true},
		{item, `gsd IS NULL`, false},
		{item, `gsd IS NOT NULL`, true},
		{item, `missing IS NOT NULL`, false},
		// LIKE
		{item, `id LIKE 'S2B%'`, true},
		{item, `id LIKE 'S2A%'`, false},
		{item, `id LIKE '%T32TLT'`, true},
		{item, `id LIKE 'S2_\_MSIL2A%'`, true},
		{item, `id LIKE 'S2__MSIL2A%'`, true},
		{item, `id LIKE 'S2_MSIL2A%'`, false},
		{item, `id NOT LIKE '%L1C%'`, true},
		{item, `id NOT LIKE '%L2A%'`, false},
		{feature{"s": "100%"}, `s LIKE '100\%'`, true},
		{feature{"s": "1000"}, `s LIKE '100\%'`, false},
		{feature{"s": "a%b%c"}, `s LIKE '%\%b\%%'`, true},
		{feature{"s": ""}, `s LIKE '%'`, true},
		{feature{"s": "x"}, `s LIKE ''`, false},
		// BETWEEN
		{item, `eo:cloud_cover BETWEEN 5 AND 10`, true},
		{item, `eo:cloud_cover BETWEEN 7.5 AND 7.5`, true},
		{item, `eo:cloud_cover BETWEEN 8 AND 10`, false},
		{item, `eo:cloud_cover NOT BETWEEN 8 AND 10`, true},
		{item, `missing NOT BETWEEN 8 AND 10`, false},
		// IN
		{item, `platform IN ('Sentinel-2A', 'Sentinel-2B')`, true},
		{item, `platform IN ('Landsat-8')`, false},
		{item, `gsd IN (10, 20, 30)`, true},
		{item, `platform NOT IN ('Landsat-8', 'Landsat-9')`, true},
		{item, `platform NOT IN ('Sentinel-2B')`, false},
		{item, `missing IN ('x')`, false},
		{item, `missing NOT IN ('x')`, false},
		// CASEI, ACCENTI
		{item, `CASEI(platform) = CASEI('SENTINEL-2b')`, true},
		{item, `CASEI(platform) = CASEI('SENTINEL-2A')`, false},
		{item, `CASEI(platform) IN (CASEI('landsat-9'), CASEI('sentinel-2B'))`, true},
		{item, `CASEI(id) LIKE CASEI('s2b%t32tlt')`, true},
		{item, `ACCENTI(city) = ACCENTI('Zurich')`, true},
		{item, `ACCENTI(city) = ACCENTI('Zorich')`, false},
		{item, `city = 'Zurich'`, false},
		{item, `CASEI(ACCENTI(city)) = 'zurich'`, true},
		{feature{"s": "STRASSE"}, `CASEI(s) = CASEI('straße')`, true},
		// arithmetic
		{item, `gsd * 2 = 20`, true},
		{item, `gsd / 4 = 2.5 AND gsd - 1 = 9 AND -gsd = -10`, true},
		{item, `gsd % 3 = 1 AND gsd div 3 = 3 AND 2 ^ 3 ^ 2 = 512`, true},
		{item, `gsd / 0 = 1`, false},
		{item, `gsd + 1 = 10`, false},
		// arrays
		{item, `A_EQUALS(tags, ('a', 'b', 'c'))`, true},
		{item, `A_EQUALS(tags, ('c', 'b', 'a', 'a'))`, true},
		{item, `A_EQUALS(tags, ('a', 'b'))`, false},
		{item, `A_EQUALS(tags, ('a', 'b', 'c', 'd'))`, false},
		{item, `A_CONTAINS(tags, ('c', 'a'))`, true},
		{item, `A_CONTAINS(tags, ('a', 'd'))`, false},
		{item, `A_CONTAINEDBY(tags, ('a', 'b', 'c', 'd'))`, true},
		{item, `A_CONTAINEDBY(tags, ('a', 'b'))`, false},
		{item, `A_OVERLAPS(tags, ('x', 'b'))`, true},
		{item, `A_OVERLAPS(tags, ('x', 'y'))`, false},
		{item, `A_CONTAINS(instruments, ('msi'))`, true},
		{item, `A_CONTAINS(platform, ('Sentinel-2B'))`, true},
		{item, `A_CONTAINS(missing, ('x'))`, false},
		{item, `tags = ('a', 'b', 'c')`, true},
		// spatial
		{item, `S_INTERSECTS(geometry, POINT(7.5 46.5))`, true},
		{item, `S_INTERSECTS(geometry, POINT(9 46.5))`, false},
		{item, `S_INTERSECTS(geometry, BBOX(7.9, 46.9, 9, 48))`, true},
		{item, `S_INTERSECTS(geometry, BBOX(8.1, 46.9, 9, 48))`, false},
		{item, `S_INTERSECTS(geometry, BBOX(7.9, 46.9, 0, 8.1, 48, 100))`, true},
		{feature{"geometry": geometry("POINT(179.5 0)")}, `S_INTERSECTS(geometry, BBOX(179, -1, -179, 1))`, true},
		{feature{"geometry": geometry("POINT(-179.5 0)")}, `S_INTERSECTS(geometry, BBOX(179, -1, -179, 1))`, true},
		{feature{"geometry": geometry("POINT(0 0)")}, `S_INTERSECTS(geometry, BBOX(179, -1, -179, 1))`, false},
		{item, `S_DISJOINT(geometry, POINT(9 46.5))`, true},
		{item, `S_DISJOINT(geometry, POINT(7.5 46.5))`, false},
		{item, `S_EQUALS(geometry, POLYGON((8 47, 7 47, 7 46, 8 46, 8 47)))`, true},
		{item, `S_EQUALS(geometry, POLYGON((8 47, 7 47, 7 46, 8 47)))`, false},
		{item, `S_TOUCHES(geometry, LINESTRING(8 46, 9 45))`, true},
		{item, `S_TOUCHES(geometry, LINESTRING(7.5 46.5, 9 45))`, false},
		{item, `S_WITHIN(geometry, BBOX(6, 45, 9, 48))`, true},
		{item, `S_WITHIN(geometry, BBOX(7.5, 45, 9, 48))`, false},
		{item, `S_CONTAINS(geometry, MULTIPOINT((7.2 46.2), (7.8 46.8)))`, true},
		{item, `S_CONTAINS(geometry, MULTIPOINT((7.2 46.2), (8.8 46.8)))`, false},
		{item, `S_OVERLAPS(geometry, BBOX(7.5, 46.5, 9, 48))`, true},
		{item, `S_OVERLAPS(geometry, BBOX(6, 45, 9, 48))`, false},
		{item, `S_CROSSES(geometry, LINESTRING(6 46.5, 9 46.5))`, true},
		{item, `S_CROSSES(geometry, LINESTRING(6 48, 9 48))`, false},
		{item, `S_INTERSECTS(geometry, POINT Z (7.5 46.5 400))`, true},
		{item, `S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(0 0), POINT(7.5 46.5)))`, true},
		{feature{"geometry": map[string]any{"type": "Point", "coordinates": []any{7.5, 46.5}}}, `S_INTERSECTS(geometry, BBOX(7, 46, 8, 47))`, true},
		{feature{}, `S_INTERSECTS(geometry, BBOX(7, 46, 8, 47))`, false},
		// a thin triangle far from a point, which simplefeatures' Relate alone says contains it
		{feature{"geometry": geometry("POLYGON((24.567369012152085 8.229187933785468, 23.805813429466752 8.666318874542526, 23.886979580860668 8.619729712933065, 24.567369012152085 8.229187933785468))")},
			`S_CONTAINS(geometry, POINT(7.02 49.92)) OR S_WITHIN(POINT(7.02 49.92), geometry)`, false},
		{feature{}, `S_DISJOINT(geometry, BBOX(7, 46, 8, 47))`, false},
		// instants compared with timestamps, dates and RFC 3339 strings
		{item, `datetime > TIMESTAMP('2024-05-01T10:00:00Z')`, true},
		{item, `datetime > TIMESTAMP('2024-05-01T10:15:59Z')`, false},
		{item, `datetime >= DATE('2024-05-01') AND datetime < DATE('2024-05-02')`, true},
		{item, `datetime = TIMESTAMP('2024-05-01T12:15:59+02:00')`, true},
		{item, `datetime BETWEEN TIMESTAMP('2024-01-01T00:00:00Z') AND TIMESTAMP('2024-12-31T00:00:00Z')`, true},
		{item, `datetime > '2024-05-01'`, true},
		{feature{"datetime": "2024-05-01T10:15:59"}, `datetime = TIMESTAMP('2024-05-01T10:15:59Z')`, true},
		{feature{"datetime": "2024-05-01T10:15:59.5"}, `datetime < TIMESTAMP('2024-05-01T10:15:59Z')`, false},
		{feature{"datetime": "May 1st"}, `datetime < TIMESTAMP('2024-05-01T10:15:59Z')`, false},
		{feature{"datetime": "May 1st"}, `datetime >= TIMESTAMP('2024-05-01T10:15:59Z')`, false},
		{span, `datetime >= DATE('2024-05-01')`, true},
		{span, `datetime > DATE('2024-05-01')`, false},
		{span, `datetime IS NULL`, false},
		{span, `end_datetime < TIMESTAMP('2024-06-01T00:00:00Z')`, true},
		// temporal operators on an instant
		{item, `T_AFTER(datetime, TIMESTAMP('2024-05-01T10:15:58Z'))`, true},
		{item, `T_AFTER(datetime, TIMESTAMP('2024-05-01T10:15:59Z'))`, false},
		{item, `T_BEFORE(datetime, DATE('2024-05-02'))`, true},
		{item, `T_BEFORE(datetime, DATE('2024-05-01'))`, false},
		{item, `T_EQUALS(datetime, TIMESTAMP('2024-05-01T10:15:59Z'))`, true},
		{item, `T_EQUALS(datetime, TIMESTAMP('2024-05-01T10:16:00Z'))`, false},
		{item, `T_INTERSECTS(datetime, INTERVAL('2024-05-01', '2024-05-02'))`, true},
		{item, `T_INTERSECTS(datetime, INTERVAL('2024-05-02', '..'))`, false},
		{item, `T_INTERSECTS(datetime, INTERVAL('..', '..'))`, true},
		{item, `T_DISJOINT(datetime, INTERVAL('2024-05-02', '..'))`, true},
		{item, `T_DISJOINT(datetime, INTERVAL('..', '2024-05-02'))`, false},
		{item, `T_DURING(datetime, INTERVAL('2024-05-01', '2024-05-02'))`, true},
		{item, `T_DURING(datetime, INTERVAL('2024-05-01T10:15:59Z', '2024-05-02'))`, false},
		{item, `T_MEETS(datetime, INTERVAL('2024-05-01T10:15:59Z', '..'))`, true},
		{item, `T_METBY(datetime, INTERVAL('..', '2024-05-01T10:15:59Z'))`, true},
		{item, `T_MEETS(datetime, INTERVAL('2024-05-02', '..'))`, false},
		{item, `T_INTERSECTS(missing, INTERVAL('..', '..'))`, false},
		// temporal operators on the item's interval: [2024-05-01T00:00:00Z, 2024-05-31T23:59:59Z]
		{span, `T_INTERSECTS(datetime, INTERVAL('2024-05-20', '2024-06-20'))`, true},
		{span, `T_INTERSECTS(datetime, INTERVAL('2024-06-01', '2024-06-20'))`, false},
		{span, `T_INTERSECTS(datetime, TIMESTAMP('2024-05-15T00:00:00Z'))`, true},
		{span, `T_CONTAINS(datetime, TIMESTAMP('2024-05-15T00:00:00Z'))`, true},
		{span, `T_CONTAINS(datetime, INTERVAL('2024-04-15', '2024-05-15'))`, false},
		{span, `T_DURING(datetime, INTERVAL('2024-04-01', '2024-07-01'))`, true},
		{span, `T_DURING(datetime, INTERVAL('2024-05-01', '2024-07-01'))`, false},
		{span, `T_STARTS(datetime, INTERVAL('2024-05-01', '2024-07-01'))`, true},
		{span, `T_STARTS(datetime, INTERVAL('2024-04-01', '2024-07-01'))`, false},
		{span, `T_STARTEDBY(datetime, INTERVAL('2024-05-01', '2024-05-10'))`, true},
		{span, `T_STARTEDBY(datetime, INTERVAL('2024-05-01', '2024-07-10'))`, false},
		{span, `T_FINISHES(datetime, INTERVAL('2024-04-01', '2024-05-31T23:59:59Z'))`, true},
		{span, `T_FINISHES(datetime, INTERVAL('2024-05-01', '2024-05-31T23:59:59Z'))`, false},
		{span, `T_FINISHEDBY(datetime, INTERVAL('2024-05-10', '2024-05-31T23:59:59Z'))`, true},
		{span, `T_FINISHEDBY(datetime, INTERVAL('2024-04-10', '2024-05-31T23:59:59Z'))`, false},
		{span, `T_OVERLAPS(datetime, INTERVAL('2024-05-10', '2024-06-10'))`, true},
		{span, `T_OVERLAPS(datetime, INTERVAL('2024-04-10', '2024-05-10'))`, false},
		{span, `T_OVERLAPPEDBY(datetime, INTERVAL('2024-04-10', '2024-05-10'))`, true},
		{span, `T_OVERLAPPEDBY(datetime, INTERVAL('2024-05-10', '2024-06-10'))`, false},
		{span, `T_EQUALS(datetime, INTERVAL('2024-05-01', '2024-05-31T23:59:59Z'))`, true},
		{span, `T_EQUALS(datetime, INTERVAL('2024-05-01', '..'))`, false},
		{span, `T_AFTER(datetime, INTERVAL('..', '2024-04-30'))`, true},
		{span, `T_AFTER(datetime, INTERVAL('..', '2024-05-01'))`, false},
		{span, `T_BEFORE(datetime, INTERVAL('2024-06-01', '..'))`, true},
		{span, `T_BEFORE(datetime, INTERVAL('2024-05-31', '..'))`, false},
		{span, `T_MEETS(datetime, INTERVAL('2024-05-31T23:59:59Z', '2024-06-30'))`, true},
		{span, `T_METBY(datetime, INTERVAL('2024-04-01', '2024-05-01'))`, true},
		{span, `T_METBY(datetime, INTERVAL('2024-04-01', '2024-04-30'))`, false},
		{span, `T_DURING(INTERVAL(start_datetime, end_datetime), INTERVAL('2024-01-01', '2024-12-31'))`, true},
		{item, `T_DURING(INTERVAL(start_datetime, end_datetime), INTERVAL('2024-01-01', '2024-12-31'))`, false},
		{span, `T_DISJOINT(datetime, INTERVAL('2024-06-01', '..'))`, true},
	} {
		e, err := ParseText(c.filter)
		if err != nil {
			t.Errorf("ParseText(%s): %v", c.filter, err)
			continue
		}
		got, err := Eval(e, c.f)
		if err != nil {
			t.Errorf("Eval(%s): %v", c.filter, err)
			continue
		}
		if got != c.want {
			t.Errorf("Eval(%s) on %v = %v, want %v", c.filter, c.f["id"], got, c.want)
		}
		// the same filter through cql2-json gives the same answer
		j, err := MarshalJSON(e)
		if err != nil {
			t.Errorf("MarshalJSON(%s): %v", c.filter, err)
			continue
		}
		fromJSON, err := ParseJSON(j)
		if err != nil {
			t.Errorf("ParseJSON(%s): %v", j, err)
			continue
		}
		if got, err := Eval(fromJSON, c.f); err != nil || got != c.want {
			t.Errorf("Eval(%s) = %v, %v; want %v", j, got, err, c.want)
		}
	}
}

func TestEvalNumbersOfAnyGoType(t *testing.T) {
	e, err := ParseText(`n = 3 AND m = 3 AND k < 3.5`)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := Eval(e, feature{"n": 3, "m": int64(3), "k": float32(3.25)})
	if err != nil || !ok {
		t.Errorf("Eval = %v, %v; want true", ok, err)
	}
}
