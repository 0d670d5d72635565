package cql2

import "errors"

// ParseText parses a cql2-text expression. Errors are one line naming the position.
func ParseText(s string) (Expr, error) {
	return nil, errors.New("filter: cql2-text not implemented yet")
}

// ParseJSON parses a cql2-json expression.
func ParseJSON(b []byte) (Expr, error) {
	return nil, errors.New("filter: cql2-json not implemented yet")
}

// MarshalJSON writes e as cql2-json.
func MarshalJSON(e Expr) ([]byte, error) { return nil, errors.New("filter: not implemented yet") }

// Text writes e as cql2-text.
func Text(e Expr) string { return "" }

// Feature is what Eval reads a property's value from. Values are as encoding/json decodes
// them (string, float64, bool, nil, []any, map[string]any), except "geometry", which is a
// geom.Geometry; timestamps are RFC 3339 strings.
type Feature interface {
	Property(name string) (any, bool)
}

// Eval reports whether f matches e.
func Eval(e Expr, f Feature) (bool, error) { return false, errors.New("filter: not implemented yet") }
