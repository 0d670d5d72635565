package cql2

import (
	"cmp"
	"strings"
	"time"
)

// parseInstant reads a property value as an instant: an RFC 3339 timestamp, one without
// its time zone (read as UTC: a common slip in STAC items), or a YYYY-MM-DD date.
func parseInstant(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// order compares two non-NULL scalars; ok is false when their types do not compare. A
// string compared with a timestamp is read as an instant.
func order(a, b any) (c int, ok bool) {
	switch x := a.(type) {
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y), true
		}
	case string:
		switch y := b.(type) {
		case string:
			return strings.Compare(x, y), true
		case time.Time:
			if t, ok := parseInstant(x); ok {
				return t.Compare(y), true
			}
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp.Compare(boolInt(x), boolInt(y)), true
		}
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Compare(y), true
		case string:
			if t, ok := parseInstant(y); ok {
				return x.Compare(t), true
			}
		}
	}
	return 0, false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// equal reports whether two non-NULL values are equal: scalars by order, arrays element by
// element; ok is false when their types do not compare.
func equal(a, b any) (eq, ok bool) {
	x, xa := a.([]any)
	y, ya := b.([]any)
	if xa != ya {
		return false, false
	}
	if !xa {
		c, ok := order(a, b)
		return c == 0, ok
	}
	if len(x) != len(y) {
		return false, true
	}
	for i := range x {
		if x[i] == nil || y[i] == nil {
			if x[i] != y[i] {
				return false, true
			}
			continue
		}
		if eq, ok := equal(x[i], y[i]); !eq || !ok {
			return false, ok
		}
	}
	return true, true
}

// compare evaluates = <> < <= > >=.
func compare(op string, a, b val) (tri, error) {
	if a.v == nil || b.v == nil {
		return unknown, nil
	}
	var c int
	if _, isArray := a.v.([]any); isArray && (op == "=" || op == "<>") {
		eq, ok := equal(a.v, b.v)
		if !ok {
			return mismatch(a, b, "cannot compare %s with %s", describe(a.v), kind(b.v))
		}
		if !eq {
			c = 1
		}
	} else {
		var ok bool
		if c, ok = order(a.v, b.v); !ok {
			return mismatch(a, b, "cannot compare %s with %s", describe(a.v), kind(b.v))
		}
	}
	var r bool
	switch op {
	case "=":
		r = c == 0
	case "<>":
		r = c != 0
	case "<":
		r = c < 0
	case "<=":
		r = c <= 0
	case ">":
		r = c > 0
	case ">=":
		r = c >= 0
	}
	return triOf(r), nil
}

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

// between evaluates lo <= a <= hi.
func between(a, lo, hi val) (tri, error) {
	if a.v == nil || lo.v == nil || hi.v == nil {
		return unknown, nil
	}
	c1, ok1 := order(a.v, lo.v)
	c2, ok2 := order(a.v, hi.v)
	if !ok1 {
		return mismatch(a, lo, "cannot compare %s with %s", describe(a.v), kind(lo.v))
	}
	if !ok2 {
		return mismatch(a, hi, "cannot compare %s with %s", describe(a.v), kind(hi.v))
	}
	return triOf(c1 >= 0 && c2 <= 0), nil
}

// in evaluates a IN (list): true if a equals one, unknown if none does but one is NULL.
func in(a, list val) (tri, error) {
	items, ok := list.v.([]any)
	if !ok {
		return mismatch(a, list, "IN takes a list, not %s", kind(list.v))
	}
	if a.v == nil {
		return unknown, nil
	}
	result := no
	for _, it := range items {
		if it == nil {
			result = unknown
			continue
		}
		eq, ok := equal(a.v, it)
		if !ok {
			if _, err := mismatch(a, list, "cannot compare %s with %s", describe(a.v), kind(it)); err != nil {
				return unknown, err
			}
			result = unknown
			continue
		}
		if eq {
			return yes, nil
		}
	}
	return result, nil
}

// like evaluates a LIKE pattern: % matches any run of characters, _ one character, and a
// backslash makes the next character literal.
func like(a, pattern val) (tri, error) {
	if a.v == nil || pattern.v == nil {
		return unknown, nil
	}
	s, ok1 := a.v.(string)
	p, ok2 := pattern.v.(string)
	if !ok1 || !ok2 {
		bad := a.v
		if ok1 {
			bad = pattern.v
		}
		return mismatch(a, pattern, "LIKE takes strings, not %s", describe(bad))
	}
	return triOf(likeMatch([]rune(s), compileLike(p))), nil
}

type likeToken struct {
	r    rune
	kind byte // 'c' a character, '%' any run, '_' any one
}

func compileLike(p string) []likeToken {
	var out []likeToken
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\\' && i+1 < len(rs):
			i++
			out = append(out, likeToken{r: rs[i], kind: 'c'})
		case r == '%' || r == '_':
			out = append(out, likeToken{kind: byte(r)})
		default:
			out = append(out, likeToken{r: r, kind: 'c'})
		}
	}
	return out
}

// likeMatch matches s against a compiled pattern, backtracking to the last % only, which
// keeps it O(len(s)·len(p)).
func likeMatch(s []rune, p []likeToken) bool {
	si, pi, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi].kind == '_' || p[pi].kind == 'c' && p[pi].r == s[si]):
			si++
			pi++
		case pi < len(p) && p[pi].kind == '%':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].kind == '%' {
		pi++
	}
	return pi == len(p)
}

// array evaluates the A_* operators on arrays as sets, as CQL2 requires: A_EQUALS (the same
// elements), A_CONTAINS (every element of the second is in the first), A_CONTAINEDBY (every
// element of the first is in the second) and A_OVERLAPS (a common element). A scalar
// property value counts as a one-element array.
func array(op string, a, b val) (tri, error) {
	if a.v == nil || b.v == nil {
		return unknown, nil
	}
	x, ok1 := asArray(a)
	y, ok2 := asArray(b)
	if !ok1 || !ok2 {
		bad := a.v
		if ok1 {
			bad = b.v
		}
		return mismatch(a, b, "%s takes arrays, not %s", opDisplay(op), describe(bad))
	}
	switch op {
	case "a_equals":
		return triOf(subset(x, y) && subset(y, x)), nil
	case "a_contains":
		return triOf(subset(y, x)), nil
	case "a_containedBy":
		return triOf(subset(x, y)), nil
	}
	for _, e := range x {
		if member(e, y) {
			return yes, nil
		}
	}
	return no, nil
}

func asArray(v val) ([]any, bool) {
	if arr, ok := v.v.([]any); ok {
		return arr, true
	}
	if v.dyn {
		return []any{v.v}, true
	}
	return nil, false
}

// subset reports whether every element of a is in b.
func subset(a, b []any) bool {
	for _, e := range a {
		if !member(e, b) {
			return false
		}
	}
	return true
}

func member(e any, set []any) bool {
	for _, s := range set {
		if e == nil || s == nil {
			continue
		}
		if eq, ok := equal(e, s); ok && eq {
			return true
		}
	}
	return false
}
