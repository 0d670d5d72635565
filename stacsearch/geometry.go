package stacsearch

import (
	"encoding/json"
	"fmt"
)

// geometryTypes are the GeoJSON geometry types (RFC 7946 §3.1).
var geometryTypes = map[string]bool{
	"Point": true, "MultiPoint": true, "LineString": true, "MultiLineString": true,
	"Polygon": true, "MultiPolygon": true, "GeometryCollection": true,
}

// Geometry returns the GeoJSON geometry in b: a geometry, a Feature's geometry, or the
// geometry of a FeatureCollection's only feature.
func Geometry(b []byte) (json.RawMessage, error) {
	var g struct {
		Type     string            `json:"type"`
		Geometry json.RawMessage   `json:"geometry"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("not GeoJSON: %v", err)
	}
	switch {
	case geometryTypes[g.Type]:
		var c json.RawMessage
		c, err := appendCompact(c, b)
		return c, err
	case g.Type == "Feature":
		if len(g.Geometry) == 0 || string(g.Geometry) == "null" {
			return nil, fmt.Errorf("the Feature has no geometry")
		}
		return Geometry(g.Geometry)
	case g.Type == "FeatureCollection":
		if len(g.Features) != 1 {
			return nil, fmt.Errorf("a FeatureCollection of %d features: want one geometry", len(g.Features))
		}
		return Geometry(g.Features[0])
	}
	return nil, fmt.Errorf("GeoJSON type %q: want a geometry or a Feature", g.Type)
}
