package cql2

import (
	"strings"
	"testing"
)

// RenameProperties reaches properties inside operators, arrays and intervals, and leaves
// the original tree unchanged.
func TestRenameProperties(t *testing.T) {
	src := "p.a < 10 AND p.b IN (p.c, 'x') AND T_INTERSECTS(INTERVAL(p.s, p.e), INTERVAL('2024-01-01', '..'))"
	e, err := ParseText(src)
	if err != nil {
		t.Fatal(err)
	}
	before := Text(e)
	got := Text(RenameProperties(e, func(n string) string { return strings.TrimPrefix(n, "p.") }))
	want, err := ParseText("a < 10 AND b IN (c, 'x') AND T_INTERSECTS(INTERVAL(s, e), INTERVAL('2024-01-01', '..'))")
	if err != nil {
		t.Fatal(err)
	}
	if got != Text(want) {
		t.Errorf("renamed:\n got %s\nwant %s", got, Text(want))
	}
	if Text(e) != before {
		t.Errorf("the original changed: %s", Text(e))
	}
}
