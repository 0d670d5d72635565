package stac

import (
	"reflect"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestIndexAnnotations(t *testing.T) {
	l7 := map[string]string{AnnotationID: "L7", AnnotationCollection: "landsat", AnnotationDatetime: "2001-06-01T12:57:00Z", AnnotationBBox: "-35,-8.1,-34.8,-7.9"}
	dem := map[string]string{AnnotationID: "dem", AnnotationCollection: "landsat", AnnotationDatetime: "2000-02-11T00:00:00+02:00", AnnotationBBox: "-34.9,-8.2,-34.7,-8"}
	plain := map[string]string{"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}
	group := map[string]string{AnnotationBBox: "10,0,20,5", AnnotationStartDatetime: "1999-01-01T00:00:00Z", AnnotationEndDatetime: "2030-01-01T00:00:00Z"}
	for _, c := range []struct {
		name     string
		children []map[string]string
		want     map[string]string
	}{
		{"no children", nil, nil},
		{"no EO child", []map[string]string{plain, nil}, nil},
		{"two products", []map[string]string{l7, plain, dem}, map[string]string{
			AnnotationBBox: "-35,-8.2,-34.7,-7.9", AnnotationCollection: "landsat",
			// the range keeps each instant as the product wrote it (its own offset)
			AnnotationStartDatetime: "2000-02-11T00:00:00+02:00", AnnotationEndDatetime: "2001-06-01T12:57:00Z",
		}},
		{"one product", []map[string]string{l7}, map[string]string{
			AnnotationBBox: "-35,-8.1,-34.8,-7.9", AnnotationCollection: "landsat",
			AnnotationStartDatetime: "2001-06-01T12:57:00Z", AnnotationEndDatetime: "2001-06-01T12:57:00Z",
		}},
		{"mixed collections, nested index", []map[string]string{l7, group}, map[string]string{
			AnnotationBBox:          "-35,-8.1,20,5",
			AnnotationStartDatetime: "1999-01-01T00:00:00Z", AnnotationEndDatetime: "2030-01-01T00:00:00Z",
		}},
		{"datetime only", []map[string]string{{AnnotationDatetime: "2001-06-01T12:57:00Z", AnnotationBBox: "bad"}}, map[string]string{
			AnnotationStartDatetime: "2001-06-01T12:57:00Z", AnnotationEndDatetime: "2001-06-01T12:57:00Z",
		}},
	} {
		if got := IndexAnnotations(c.children); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: IndexAnnotations = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestUnionBBox(t *testing.T) {
	for _, c := range []struct {
		name  string
		boxes [][]float64
		want  []float64
	}{
		{"one", [][]float64{{1, 2, 3, 4}}, []float64{1, 2, 3, 4}},
		{"disjoint", [][]float64{{10, 0, 20, 1}, {-20, -1, -10, 0}}, []float64{-20, -1, 20, 1}},
		{"both sides of the antimeridian", [][]float64{{170, 0, 179, 1}, {-179, -1, -170, 0}}, []float64{170, -1, -170, 1}},
		{"one crossing box and one beside it", [][]float64{{175, 0, -175, 1}, {160, 0, 165, 1}}, []float64{160, 0, -175, 1}},
		{"crossing box inside a plain one's complement", [][]float64{{175, 0, -175, 1}, {-10, 0, 10, 1}}, []float64{-10, 0, -175, 1}},
		{"whole world", [][]float64{{-180, -90, 180, 90}, {1, 2, 3, 4}}, []float64{-180, -90, 180, 90}},
	} {
		if got := UnionBBox(c.boxes); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: UnionBBox = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSummarizeIndex(t *testing.T) {
	idx := ocispec.Index{ArtifactType: "application/x.group", Annotations: map[string]string{
		AnnotationBBox: "-35,-8.2,-34.7,-7.9", AnnotationCollection: "landsat",
		AnnotationStartDatetime: "2000-02-11T00:00:00Z", AnnotationEndDatetime: "2001-06-01T12:57:00Z",
	}}
	s := SummarizeIndex(idx)
	if s.Datetime != "2000-02-11T00:00:00Z/2001-06-01T12:57:00Z" || s.Collection != "landsat" ||
		!reflect.DeepEqual(s.BBox, []float64{-35, -8.2, -34.7, -7.9}) || s.ArtifactType != "application/x.group" {
		t.Errorf("SummarizeIndex = %+v", s)
	}
	idx.Annotations[AnnotationEndDatetime] = idx.Annotations[AnnotationStartDatetime]
	if s := SummarizeIndex(idx); s.Datetime != "2000-02-11T00:00:00Z" {
		t.Errorf("one-instant range: Datetime = %q", s.Datetime)
	}
}
