package cql2

import "errors"

// Feature is what Eval reads a property's value from. Values are as encoding/json decodes
// them (string, float64, bool, nil, []any, map[string]any), except "geometry", which is a
// geom.Geometry; timestamps are RFC 3339 strings.
type Feature interface {
	Property(name string) (any, bool)
}

// Eval reports whether f matches e.
func Eval(e Expr, f Feature) (bool, error) { return false, errors.New("filter: not implemented yet") }
