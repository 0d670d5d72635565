package cql2

import (
	"errors"
	"time"

	"github.com/peterstace/simplefeatures/geom"
)

// Expr is a CQL2 expression: one of the node types below (an Op, Property, Timestamp,
// Date, Interval, Geometry or BBox), or a literal: string, float64, bool, []Expr (array).
type Expr interface{}

// Op is an operator or function applied to its arguments. Op is the CQL2-JSON operator
// name, lower-case as the spec writes it: "and", "or", "not", "=", "<>", "<", "<=", ">",
// ">=", "like", "between", "in", "isNull", "casei", "accenti", "s_intersects", "s_equals",
// "s_disjoint", "s_touches", "s_within", "s_overlaps", "s_crosses", "s_contains",
// "t_after", "t_before", "t_contains", "t_disjoint", "t_during", "t_equals",
// "t_finishedBy", "t_finishes", "t_intersects", "t_meets", "t_metBy", "t_overlappedBy",
// "t_overlaps", "t_startedBy", "t_starts", "a_equals", "a_contains", "a_containedBy",
// "a_overlaps", "+", "-", "*", "/", "%", "div", "^"; any other name is a function call.
//
// NOT LIKE, NOT BETWEEN, NOT IN and IS NOT NULL are "not" around the positive form, as
// cql2-json writes them. "in" has two arguments: the value and an []Expr of candidates.
type Op struct {
	Op   string
	Args []Expr
}

// Property is a reference to a property of the feature by name (e.g. "eo:cloud_cover").
type Property struct{ Name string }

// Timestamp is an instant, in UTC.
type Timestamp struct{ T time.Time }

// Date is a calendar date; T is its 00:00 UTC.
type Date struct{ T time.Time }

// Interval is a time interval. Start and End are each a Timestamp, a Date, a Property or
// the string ".." (open).
type Interval struct{ Start, End Expr }

// Geometry is a geometry literal (WKT in cql2-text, GeoJSON in cql2-json).
type Geometry struct{ G geom.Geometry }

// BBox is a bounding box literal, BBOX(…) in cql2-text and {"bbox": […]} in cql2-json:
// 4 numbers (west, south, east, north) or 6 (with minimum and maximum elevation).
type BBox []float64

// ErrUnsupported is wrapped by Eval's error for an operator or function it parses but
// cannot evaluate.
var ErrUnsupported = errors.New("not supported")

// Properties returns the distinct property names the expression uses, in the order they
// first appear.
func Properties(e Expr) []string {
	var names []string
	seen := map[string]bool{}
	walk(e, func(x Expr) {
		if p, ok := x.(Property); ok && !seen[p.Name] {
			seen[p.Name] = true
			names = append(names, p.Name)
		}
	})
	return names
}

// walk calls fn for e and every expression inside it, parents first.
func walk(e Expr, fn func(Expr)) {
	fn(e)
	switch x := e.(type) {
	case Op:
		for _, a := range x.Args {
			walk(a, fn)
		}
	case []Expr:
		for _, a := range x {
			walk(a, fn)
		}
	case Interval:
		walk(x.Start, fn)
		walk(x.End, fn)
	}
}

// RenameProperties returns e with every property name n replaced by rename(n); e itself is
// left as it is.
func RenameProperties(e Expr, rename func(string) string) Expr {
	switch x := e.(type) {
	case Property:
		return Property{Name: rename(x.Name)}
	case Op:
		args := make([]Expr, len(x.Args))
		for i, a := range x.Args {
			args[i] = RenameProperties(a, rename)
		}
		return Op{Op: x.Op, Args: args}
	case []Expr:
		out := make([]Expr, len(x))
		for i, a := range x {
			out[i] = RenameProperties(a, rename)
		}
		return out
	case Interval:
		return Interval{Start: RenameProperties(x.Start, rename), End: RenameProperties(x.End, rename)}
	}
	return e
}
