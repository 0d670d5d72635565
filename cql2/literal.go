package cql2

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// parseTimestamp reads an RFC 3339 timestamp into a Timestamp in UTC.
func parseTimestamp(s string) (Expr, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fmt.Errorf("invalid timestamp %s (want RFC 3339, e.g. 2024-05-01T10:00:00Z)", quoteString(s))
	}
	return Timestamp{T: t.UTC()}, nil
}

// parseDate reads a YYYY-MM-DD date.
func parseDate(s string) (Expr, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, fmt.Errorf("invalid date %s (want YYYY-MM-DD)", quoteString(s))
	}
	return Date{T: t}, nil
}

// parseBound reads an interval bound written as a string: "..", a date or a timestamp.
func parseBound(s string) (Expr, error) {
	if s == ".." {
		return s, nil
	}
	if len(s) == len(time.DateOnly) {
		return parseDate(s)
	}
	return parseTimestamp(s)
}

// checkBBox validates the numbers of a bounding box.
func checkBBox(b BBox) error {
	switch len(b) {
	case 4:
		if b[1] > b[3] {
			return errors.New("BBOX south is greater than north")
		}
	case 6:
		if b[1] > b[4] || b[2] > b[5] {
			return errors.New("BBOX minimum is greater than maximum")
		}
	default:
		return fmt.Errorf("BBOX takes 4 or 6 numbers, not %d", len(b))
	}
	return nil
}

// arity is the number of arguments of each operator with a fixed count; and/or take two or more.
var arity = func() map[string]int {
	m := map[string]int{"not": 1, "=": 2, "<>": 2, "<": 2, "<=": 2, ">": 2, ">=": 2,
		"like": 2, "between": 3, "in": 2, "isNull": 1, "+": 2, "-": 2, "*": 2, "/": 2, "%": 2, "div": 2, "^": 2}
	for _, op := range namedOps {
		m[op] = 2
	}
	m["casei"], m["accenti"] = 1, 1
	return m
}()

// checkArity validates the number of arguments of a known operator.
func checkArity(o Op) error {
	if o.Op == "and" || o.Op == "or" {
		if len(o.Args) < 2 {
			return fmt.Errorf("%s takes two or more arguments", strings.ToUpper(o.Op))
		}
		return nil
	}
	n, ok := arity[o.Op]
	if !ok || len(o.Args) == n {
		return nil
	}
	s := "s"
	if n == 1 {
		s = ""
	}
	return fmt.Errorf("%s takes %d argument%s, not %d", opDisplay(o.Op), n, s, len(o.Args))
}

// opDisplay is how an error message names an operator.
func opDisplay(op string) string {
	if _, ok := namedOps[strings.ToUpper(op)]; ok || op == "isNull" {
		return strings.ToUpper(op)
	}
	if isIdent(op) {
		return strings.ToUpper(op)
	}
	return "'" + op + "'"
}

// isIdent reports whether s can be written as a bare identifier.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if i == 0 && !isIdentStart(r) || !isIdentPart(r) {
			return false
		}
	}
	return true
}

// quoteString writes s as a cql2-text string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// oneLine joins a multi-line message into one line.
func oneLine(err error) string {
	return strings.Join(strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' || r == '\r' }), " ")
}
