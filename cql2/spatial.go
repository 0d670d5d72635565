package cql2

import (
	"encoding/json"
	"fmt"

	"github.com/peterstace/simplefeatures/geom"
)

// spatial evaluates the S_* operators with simplefeatures' DE-9IM predicates (pure Go), in
// two dimensions: Z is ignored.
func spatial(op string, a, b val) (tri, error) {
	if a.v == nil || b.v == nil {
		return unknown, nil
	}
	x, ok1 := asGeometry(a.v)
	y, ok2 := asGeometry(b.v)
	if !ok1 || !ok2 {
		bad := a.v
		if ok1 {
			bad = b.v
		}
		return mismatch(a, b, "%s takes geometries, not %s", opDisplay(op), describe(bad))
	}
	r, err := relate(op, x.Force2D(), y.Force2D())
	if err != nil {
		return unknown, fmt.Errorf("%s: %s", opDisplay(op), oneLine(err))
	}
	return triOf(r), nil
}

func relate(op string, a, b geom.Geometry) (r bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	switch op {
	case "s_intersects":
		return geom.Intersects(a, b), nil
	case "s_disjoint":
		return !geom.Intersects(a, b), nil
	}
	if pred := predicates[op]; pred != nil {
		// every one of them needs the geometries to meet; deciding that first also avoids
		// simplefeatures' Relate answering "contains" for some far-apart multipolygon and point
		if !geom.Intersects(a, b) && !(a.IsEmpty() && b.IsEmpty()) {
			return false, nil
		}
		return pred(a, b)
	}
	return false, fmt.Errorf("function %s: %w", op, ErrUnsupported)
}

// predicates are the S_* operators other than S_INTERSECTS and S_DISJOINT.
var predicates = map[string]func(a, b geom.Geometry) (bool, error){
	"s_equals": geom.Equals, "s_touches": geom.Touches, "s_within": geom.Within,
	"s_overlaps": geom.Overlaps, "s_crosses": geom.Crosses, "s_contains": geom.Contains,
}

// asGeometry reads a geometry value: a geom.Geometry, or GeoJSON as a decoded object or
// raw bytes.
func asGeometry(v any) (geom.Geometry, bool) {
	var raw []byte
	switch x := v.(type) {
	case geom.Geometry:
		return x, true
	case map[string]any:
		var err error
		if raw, err = json.Marshal(x); err != nil {
			return geom.Geometry{}, false
		}
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	default:
		return geom.Geometry{}, false
	}
	g, err := geom.UnmarshalGeoJSON(raw)
	return g, err == nil
}

// bboxGeometry is the area of a bounding box; one whose west is east of its east crosses
// the antimeridian and becomes two boxes.
func bboxGeometry(b BBox) (geom.Geometry, error) {
	if err := checkBBox(b); err != nil {
		return geom.Geometry{}, err
	}
	w, s, e, n := b[0], b[1], b[2], b[3]
	if len(b) == 6 {
		w, s, e, n = b[0], b[1], b[3], b[4]
	}
	box := func(w, e float64) geom.Geometry {
		return geom.NewEnvelope(geom.XY{X: w, Y: s}, geom.XY{X: e, Y: n}).AsGeometry()
	}
	if w <= e {
		return box(w, e), nil
	}
	west, east := box(w, 180), box(-180, e)
	p1, ok1 := west.AsPolygon()
	p2, ok2 := east.AsPolygon()
	if ok1 && ok2 {
		return geom.NewMultiPolygon([]geom.Polygon{p1, p2}).AsGeometry(), nil
	}
	return geom.NewGeometryCollection([]geom.Geometry{west, east}).AsGeometry(), nil
}
