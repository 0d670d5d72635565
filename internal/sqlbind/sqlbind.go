// Package sqlbind rewrites SQL written with `?` placeholders for engines that number them,
// so that the metadata store and the STAC index write each query once for SQLite and
// PostgreSQL.
package sqlbind

import (
	"strconv"
	"strings"
)

// Numbered rewrites q's `?` placeholders as $1, $2, … (PostgreSQL). Placeholders inside
// quoted strings or identifiers are left alone.
func Numbered(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
