package cql2_test

import (
	"fmt"

	"github.com/eopack/eopack/cql2"
	"github.com/peterstace/simplefeatures/geom"
)

type item map[string]any

func (i item) Property(name string) (any, bool) {
	v, ok := i[name]
	return v, ok
}

func Example() {
	e, err := cql2.ParseText(`eo:cloud_cover < 10 AND platform IN ('sentinel-2a', 'sentinel-2b')
		AND S_INTERSECTS(geometry, BBOX(7, 46, 8, 47))
		AND T_INTERSECTS(datetime, INTERVAL('2024-05-01', '..'))`)
	if err != nil {
		fmt.Println(err)
		return
	}
	j, _ := cql2.MarshalJSON(e)
	fmt.Println(string(j))
	fmt.Println(cql2.Text(e))
	fmt.Println(cql2.Properties(e))

	footprint, _ := geom.UnmarshalWKT("POLYGON((7.5 46.5, 8.5 46.5, 8.5 47.5, 7.5 47.5, 7.5 46.5))")
	ok, err := cql2.Eval(e, item{"eo:cloud_cover": 3.2, "platform": "sentinel-2b",
		"datetime": "2024-05-03T10:20:31Z", "geometry": footprint})
	fmt.Println(ok, err)

	_, err = cql2.ParseText(`eo:cloud_cover < 10 AND (platform = 'sentinel-2a'`)
	fmt.Println(err)
	// Output:
	// {"op":"and","args":[{"op":"<","args":[{"property":"eo:cloud_cover"},10]},{"op":"in","args":[{"property":"platform"},["sentinel-2a","sentinel-2b"]]},{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[7,46,8,47]}]},{"op":"t_intersects","args":[{"property":"datetime"},{"interval":["2024-05-01",".."]}]}]}
	// eo:cloud_cover < 10 AND platform IN ('sentinel-2a', 'sentinel-2b') AND S_INTERSECTS(geometry, BBOX(7, 46, 8, 47)) AND T_INTERSECTS(datetime, INTERVAL('2024-05-01', '..'))
	// [eo:cloud_cover platform geometry datetime]
	// true <nil>
	// filter: position 50: expected ')', found end of filter
}
