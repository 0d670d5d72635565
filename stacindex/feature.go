package stacindex

import (
	"encoding/json"

	"github.com/peterstace/simplefeatures/geom"
)

// feature is a stored item as cql2.Eval reads it: "id", "collection" (the collection it is
// served in), "geometry" (a geom.Geometry), and every item property by name.
type feature struct {
	item       string
	collection string
	parsed     bool
	id         string
	geom       json.RawMessage
	props      map[string]any
	g          *geom.Geometry
}

func newFeature(item, collection string) *feature {
	return &feature{item: item, collection: collection}
}

func (f *feature) parse() {
	if f.parsed {
		return
	}
	f.parsed = true
	var it struct {
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	if json.Unmarshal([]byte(f.item), &it) == nil {
		f.id, f.geom, f.props = it.ID, it.Geometry, it.Properties
	}
}

// geometry is the item's footprint; ok is false if it has none.
func (f *feature) geometry() (geom.Geometry, bool) {
	f.parse()
	if f.g == nil {
		var g geom.Geometry
		if len(f.geom) > 0 && string(f.geom) != "null" {
			g, _ = geom.UnmarshalGeoJSON(f.geom, geom.NoValidate{})
		}
		f.g = &g
	}
	return *f.g, !f.g.IsEmpty()
}

// Property implements cql2.Feature.
func (f *feature) Property(name string) (any, bool) {
	f.parse()
	switch name {
	case "id":
		return f.id, true
	case "collection":
		return f.collection, true
	case "geometry":
		g, ok := f.geometry()
		return g, ok
	}
	v, ok := f.props[name]
	return v, ok
}
