package stac

// Summary of a group of EO products held by an OCI image index.
//
// An index whose children are EO products (`eopack manifest index create`, `… index update`)
// carries, beside the fields ORAS writes, annotations that summarise its children, so the
// group can be listed and shown from the index alone:
//
//	stac:bbox             union of the children's bboxes, "w,s,e,n" as on a product; when the
//	                      union is narrowest across the antimeridian, w > e (as STAC allows)
//	stac:start_datetime   the earliest child instant (a child's stac:datetime, or the
//	                      stac:start_datetime of a child index)
//	stac:end_datetime     the latest child instant (stac:datetime, or a child index's
//	                      stac:end_datetime)
//	stac:collection       the children's stac:collection, only when every EO child shares it
//
// The names follow the product convention "stac:<STAC field>": start_datetime and
// end_datetime are STAC's common metadata for a time range, as a collection's temporal extent
// is one. An index gets no stac:id and no stac:datetime, so a product and a group are told
// apart by their keys as well as their media types. Children without stac:* annotations are
// left out of the summary; an index with no EO child gets no stac:* annotation at all, so it
// is byte for byte the index ORAS writes.

import (
	"math"
	"slices"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Annotation keys of a time range (an index's summary).
const (
	AnnotationStartDatetime = "stac:start_datetime"
	AnnotationEndDatetime   = "stac:end_datetime"
)

// IndexSummaryKeys are the annotations IndexAnnotations computes: an update of an index
// replaces all of them.
var IndexSummaryKeys = []string{AnnotationBBox, AnnotationStartDatetime, AnnotationEndDatetime, AnnotationCollection}

// IsEO reports whether annotations (of a manifest or of an index) describe EO content: a
// product's bbox or datetime, or an index's summary.
func IsEO(ann map[string]string) bool {
	for _, k := range []string{AnnotationBBox, AnnotationDatetime, AnnotationStartDatetime, AnnotationEndDatetime} {
		if ann[k] != "" {
			return true
		}
	}
	return false
}

// IndexAnnotations summarises an index's children from their manifests' annotations (in any
// order): nil when no child is EO (see IsEO).
func IndexAnnotations(children []map[string]string) map[string]string {
	var (
		boxes      [][]float64
		start, end string
		t0, t1     time.Time
		collection string
		mixed      bool
		eo         int
	)
	for _, ann := range children {
		if !IsEO(ann) {
			continue
		}
		if eo++; eo == 1 {
			collection = ann[AnnotationCollection]
		} else if ann[AnnotationCollection] != collection {
			mixed = true
		}
		if b, err := ParseBBox2D(ann[AnnotationBBox]); err == nil {
			boxes = append(boxes, b)
		}
		if s, t, ok := instant(ann, AnnotationStartDatetime); ok && (start == "" || t.Before(t0)) {
			start, t0 = s, t
		}
		if s, t, ok := instant(ann, AnnotationEndDatetime); ok && (end == "" || t.After(t1)) {
			end, t1 = s, t
		}
	}
	if eo == 0 {
		return nil
	}
	out := map[string]string{}
	if len(boxes) > 0 {
		out[AnnotationBBox] = FormatBBox(UnionBBox(boxes))
	}
	if start != "" {
		out[AnnotationStartDatetime], out[AnnotationEndDatetime] = start, end
	}
	if collection != "" && !mixed {
		out[AnnotationCollection] = collection
	}
	return out
}

// instant reads one end of a child's time range: key (a child index's start or end), else
// the child's stac:datetime. Values that are not RFC 3339 are skipped.
func instant(ann map[string]string, key string) (string, time.Time, bool) {
	for _, k := range []string{key, AnnotationDatetime} {
		if s := ann[k]; s != "" {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return s, t, true
			}
		}
	}
	return "", time.Time{}, false
}

// UnionBBox is the smallest "w,s,e,n" box holding every box: south and north are the
// extremes; in longitude it is the shortest arc covering every box's [w, e] (a box with
// w > e crosses the antimeridian), so boxes on both sides of the antimeridian give w > e.
func UnionBBox(boxes [][]float64) []float64 {
	type span struct{ lo, hi float64 }
	var spans []span
	s, n := math.Inf(1), math.Inf(-1)
	for _, b := range boxes {
		s, n = math.Min(s, b[1]), math.Max(n, b[3])
		if b[0] <= b[2] {
			spans = append(spans, span{b[0], b[2]})
		} else {
			spans = append(spans, span{b[0], 180}, span{-180, b[2]})
		}
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.lo < b.lo {
			return -1
		}
		if a.lo > b.lo {
			return 1
		}
		return 0
	})
	merged := []span{spans[0]}
	for _, sp := range spans[1:] {
		last := &merged[len(merged)-1]
		if sp.lo <= last.hi {
			last.hi = math.Max(last.hi, sp.hi)
			continue
		}
		merged = append(merged, sp)
	}
	// The widest longitude gap left uncovered is what the box leaves out: the gap across the
	// antimeridian (from the last span round to the first) gives the plain min/max box.
	first, last := merged[0], merged[len(merged)-1]
	w, e := first.lo, last.hi
	widest := first.lo + 360 - last.hi
	for i := 1; i < len(merged); i++ {
		if gap := merged[i].lo - merged[i-1].hi; gap > widest {
			widest, w, e = gap, merged[i].lo, merged[i-1].hi
		}
	}
	return []float64{w, s, e, n}
}

// SummarizeIndex describes an index from its annotations: what `eopack inspect` shows for a
// group of products. Datetime is "start/end" (an ISO 8601 interval), or one instant when the
// range is one.
func SummarizeIndex(idx ocispec.Index) Summary {
	a := idx.Annotations
	s := Summary{Collection: a[AnnotationCollection], ArtifactType: idx.ArtifactType, Assets: []AssetSummary{}}
	if b, err := ParseBBox2D(a[AnnotationBBox]); err == nil {
		s.BBox = b
	}
	switch start, end := a[AnnotationStartDatetime], a[AnnotationEndDatetime]; {
	case start == end:
		s.Datetime = start
	case start == "" || end == "":
		s.Datetime = start + end
	default:
		s.Datetime = start + "/" + end
	}
	return s
}
