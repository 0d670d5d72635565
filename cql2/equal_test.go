package cql2

import (
	"reflect"

	"github.com/peterstace/simplefeatures/geom"
)

// sameExpr reports whether two expressions are equal, geometries compared exactly.
func sameExpr(a, b Expr) bool {
	switch x := a.(type) {
	case Geometry:
		y, ok := b.(Geometry)
		return ok && geom.ExactEquals(x.G, y.G) && x.G.CoordinatesType() == y.G.CoordinatesType()
	case Op:
		y, ok := b.(Op)
		return ok && x.Op == y.Op && sameExpr(x.Args, y.Args)
	case []Expr:
		y, ok := b.([]Expr)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameExpr(x[i], y[i]) {
				return false
			}
		}
		return true
	case Interval:
		y, ok := b.(Interval)
		return ok && sameExpr(x.Start, y.Start) && sameExpr(x.End, y.End)
	}
	return reflect.DeepEqual(a, b)
}
