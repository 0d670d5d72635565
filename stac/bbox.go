package stac

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CheckBBox validates a STAC bbox in WGS84 degrees: 4 numbers (west, south, east, north) or
// 6 (west, south, minimum elevation, east, north, maximum elevation). A west greater than east
// crosses the antimeridian. The error says what is wrong, without naming the input.
func CheckBBox(b []float64) error {
	if len(b) != 4 && len(b) != 6 {
		return fmt.Errorf("%d numbers, want 4 (w,s,e,n) or 6 (with elevations)", len(b))
	}
	for _, f := range b {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%v is not a finite number", f)
		}
	}
	w, s, e, n := b[0], b[1], b[2], b[3]
	if len(b) == 6 {
		w, s, e, n = b[0], b[1], b[3], b[4]
		if b[2] > b[5] {
			return fmt.Errorf("minimum elevation %v above maximum %v", b[2], b[5])
		}
	}
	for _, lon := range []float64{w, e} {
		if lon < -180 || lon > 180 {
			return fmt.Errorf("longitude %v outside -180..180", lon)
		}
	}
	for _, lat := range []float64{s, n} {
		if lat < -90 || lat > 90 {
			return fmt.Errorf("latitude %v outside -90..90", lat)
		}
	}
	if s > n {
		return fmt.Errorf("south %v is north of north %v", s, n)
	}
	return nil
}

// ParseBBox reads a bbox written "w,s,e,n" (or six numbers with elevations, as CheckBBox
// takes them) and checks it.
func ParseBBox(s string) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return nil, fmt.Errorf("bbox %q: want 4 numbers w,s,e,n (or 6 with elevations)", s)
	}
	b := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("bbox %q: %q is not a number", s, p)
		}
		b[i] = f
	}
	if err := CheckBBox(b); err != nil {
		return nil, fmt.Errorf("bbox %q: %w", s, err)
	}
	return b, nil
}

// ParseBBox2D is ParseBBox of a 2D box only, 4 numbers, as an Item's bbox is written by
// stac create and in the product annotations.
func ParseBBox2D(s string) ([]float64, error) {
	b, err := ParseBBox(s)
	if err == nil && len(b) != 4 {
		return nil, fmt.Errorf("bbox %q: want 4 numbers w,s,e,n", s)
	}
	return b, err
}
