package sqlbind

import "testing"

func TestNumbered(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                              `SELECT 1`,
		`SELECT a FROM t WHERE b = ? AND c = ?`: `SELECT a FROM t WHERE b = $1 AND c = $2`,
		`SELECT '?', "x?" FROM t WHERE b = ?`:   `SELECT '?', "x?" FROM t WHERE b = $1`,
		`INSERT INTO t VALUES (?, ?), (?, ?)`:   `INSERT INTO t VALUES ($1, $2), ($3, $4)`,
	} {
		if got := Numbered(in); got != want {
			t.Errorf("Numbered(%q) = %q, want %q", in, got, want)
		}
	}
}
