package stacindex

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/peterstace/simplefeatures/geom"
)

// row is what the index tables keep of an item besides its JSON: the columns search filters
// and sorts on.
type row struct {
	collection, id string
	// dt is the sort key "datetime": the item's datetime, else its start_datetime (µs).
	dt int64
	// datetime is the item's own datetime (µs); nil when the item gives an interval only.
	datetime *int64
	// start and end are the item's time interval (µs), widened to contain dt.
	start, end int64
	hasBox     bool
	box        [4]float64 // west, south, east, north
	props      []byte     // the properties object as JSON
}

// parseItem reads the indexed columns of a STAC Item. An item needs an id and a datetime
// (or start_datetime and end_datetime).
func parseItem(b []byte) (row, error) {
	var it struct {
		ID         string          `json:"id"`
		Collection string          `json:"collection"`
		BBox       []float64       `json:"bbox"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(b, &it); err != nil {
		return row{}, fmt.Errorf("STAC item: %w", err)
	}
	var p struct {
		Datetime *string `json:"datetime"`
		Start    *string `json:"start_datetime"`
		End      *string `json:"end_datetime"`
	}
	if len(it.Properties) == 0 || json.Unmarshal(it.Properties, &p) != nil {
		return row{}, errors.New("STAC item: properties is not an object")
	}
	r := row{collection: it.Collection, id: it.ID, props: compact(it.Properties)}
	var err error
	if p.Datetime != nil {
		t, err := micros(*p.Datetime)
		if err != nil {
			return row{}, fmt.Errorf("STAC item: datetime: %w", err)
		}
		r.datetime, r.dt, r.start, r.end = &t, t, t, t
	}
	if p.Start != nil && p.End != nil {
		if r.start, err = micros(*p.Start); err != nil {
			return row{}, fmt.Errorf("STAC item: start_datetime: %w", err)
		}
		if r.end, err = micros(*p.End); err != nil {
			return row{}, fmt.Errorf("STAC item: end_datetime: %w", err)
		}
		if r.datetime == nil {
			r.dt = r.start
		}
		r.start, r.end = min(r.start, r.dt), max(r.end, r.dt)
	} else if r.datetime == nil {
		return row{}, errors.New("STAC item: neither datetime nor start_datetime and end_datetime")
	}
	switch {
	case len(it.BBox) == 4:
		r.hasBox, r.box = true, [4]float64{it.BBox[0], it.BBox[1], it.BBox[2], it.BBox[3]}
	case len(it.BBox) == 6:
		r.hasBox, r.box = true, [4]float64{it.BBox[0], it.BBox[1], it.BBox[3], it.BBox[4]}
	case len(it.Geometry) > 0 && string(it.Geometry) != "null":
		g, err := geom.UnmarshalGeoJSON(it.Geometry, geom.NoValidate{})
		if err != nil {
			return row{}, fmt.Errorf("STAC item: geometry: %w", err)
		}
		if env := g.Envelope(); !env.IsEmpty() {
			lo, hi, _ := env.MinMaxXYs()
			r.hasBox, r.box = true, [4]float64{lo.X, lo.Y, hi.X, hi.Y}
		}
	}
	if r.hasBox && r.box[0] > r.box[2] {
		// A footprint crossing the antimeridian is kept with its east beyond 180; searches
		// also look 360° east (see shiftBoxes).
		r.box[2] += 360
	}
	return r, nil
}

// micros parses an RFC 3339 timestamp into microseconds since the Unix epoch.
func micros(s string) (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	return t.UnixMicro(), nil
}

// fromMicros is the time of µs since the Unix epoch, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
