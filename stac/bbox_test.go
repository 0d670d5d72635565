package stac

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseBBox(t *testing.T) {
	b, err := ParseBBox("-35, -8.2,-34.8,-7.9")
	if err != nil || !reflect.DeepEqual(b, []float64{-35, -8.2, -34.8, -7.9}) {
		t.Errorf("got %v %v", b, err)
	}
	if b, err := ParseBBox("170,-10,-170,10"); err != nil || len(b) != 4 { // crosses the antimeridian
		t.Errorf("got %v %v", b, err)
	}
	for in, want := range map[string]string{
		"1,2,3":            `bbox "1,2,3": want 4 numbers`,
		"1,2,3,x":          `"x" is not a number`,
		"0,nan,1,1":        "NaN is not a finite number",
		"0,10,1,5":         "south 10 is north of north 5",
		"0,0,181,1":        "longitude 181 outside -180..180",
		"0,-91,1,1":        "latitude -91 outside -90..90",
		"0,0,50,1,1,-10":   "minimum elevation 50 above maximum -10",
		"1,2,3,4,5,6":      "",
		"-180,-90,180,90":  "",
		"0,0,-10,1,1,8848": "",
	} {
		_, err := ParseBBox(in)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestCheckBBoxCounts(t *testing.T) {
	for _, b := range [][]float64{nil, {1, 2}, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5, 6, 7}} {
		if err := CheckBBox(b); err == nil || !strings.Contains(err.Error(), "want 4") {
			t.Errorf("%v: %v", b, err)
		}
	}
}

func TestParseBBox2D(t *testing.T) {
	if b, err := ParseBBox2D("-35,-8.2,-34.8,-7.9"); err != nil || len(b) != 4 {
		t.Errorf("got %v %v", b, err)
	}
	for in, want := range map[string]string{
		"1,2,3,4,5,6": `bbox "1,2,3,4,5,6": want 4 numbers w,s,e,n`,
		"0,10,1,5":    "south 10 is north of north 5",
	} {
		if b, err := ParseBBox2D(in); err == nil || b != nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v %v, want %q", in, b, err, want)
		}
	}
}
