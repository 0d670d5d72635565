package stacindex

import (
	"strings"

	"github.com/eopack/eopack/cql2"
)

// How exactly a SQL term decides a CQL2 expression (cql2.Eval's three-valued logic): exact
// (the rows where the term is true are the rows the filter matches), superset (every match,
// and perhaps more: cql2.Eval decides), or none (SQL cannot help).
type exactness int

const (
	none exactness = iota
	superset
	exact
)

// term is a SQL boolean expression with its arguments.
type term struct {
	sql  string
	args []any
	how  exactness
}

// pushdown translates a CQL2 filter into a WHERE term: comparisons, IN, BETWEEN, LIKE and
// IS NULL on id, collection, datetime and item properties (type-checked, so a property of
// another type is unknown, as cql2.Eval has it), S_INTERSECTS with a literal (the footprint's
// bbox: a superset), and AND/OR/NOT of those. Parts it cannot translate are left to
// cql2.Eval: an AND keeps its translated terms as a superset.
func pushdown(e cql2.Expr, f Flavor) term {
	op, ok := e.(cql2.Op)
	if !ok {
		if b, ok := e.(bool); ok {
			if b {
				return term{sql: "1 = 1", how: exact}
			}
			return term{sql: "1 = 0", how: exact}
		}
		return term{}
	}
	switch op.Op {
	case "and", "or":
		var parts []string
		var args []any
		how := exact
		for _, a := range op.Args {
			t := pushdown(a, f)
			if t.how == none {
				if op.Op == "or" {
					return term{}
				}
				how = superset
				continue
			}
			how = min(how, t.how)
			parts = append(parts, "("+t.sql+")")
			args = append(args, t.args...)
		}
		if len(parts) == 0 {
			return term{}
		}
		return term{strings.Join(parts, " "+strings.ToUpper(op.Op)+" "), args, how}
	case "not":
		if len(op.Args) != 1 {
			return term{}
		}
		t := pushdown(op.Args[0], f)
		if t.how != exact {
			return term{}
		}
		return term{"NOT (" + t.sql + ")", t.args, exact}
	case "=", "<>", "<", "<=", ">", ">=":
		return compare(op, f)
	case "between":
		if len(op.Args) != 3 {
			return term{}
		}
		lo, hi := literal(op.Args[1]), literal(op.Args[2])
		if lo == nil || hi == nil || kindOf(lo) != kindOf(hi) {
			return term{}
		}
		v, ok := operand(op.Args[0], kindOf(lo), f)
		if !ok {
			return term{}
		}
		return term{v.sql + " BETWEEN ? AND ?", append(v.args, lo, hi), v.how}
	case "in":
		if len(op.Args) != 2 {
			return term{}
		}
		list, ok := op.Args[1].([]cql2.Expr)
		if !ok || len(list) == 0 {
			return term{}
		}
		var vals []any
		for _, x := range list {
			l := literal(x)
			if l == nil || kindOf(l) != kindOf(literal(list[0])) {
				return term{}
			}
			vals = append(vals, l)
		}
		v, ok := operand(op.Args[0], kindOf(vals[0]), f)
		if !ok {
			return term{}
		}
		return term{v.sql + " IN (" + placeholders(len(vals)) + ")", append(v.args, vals...), v.how}
	case "like":
		if len(op.Args) != 2 {
			return term{}
		}
		pat, ok := op.Args[1].(string)
		if !ok {
			return term{}
		}
		v, ok := operand(op.Args[0], kString, f)
		if !ok {
			return term{}
		}
		how := v.how
		if f == SQLite {
			how = superset // SQLite's LIKE ignores ASCII case
		}
		return term{v.sql + ` LIKE ? ESCAPE '\'`, append(v.args, pat), how}
	case "isNull":
		if len(op.Args) != 1 {
			return term{}
		}
		p, ok := op.Args[0].(cql2.Property)
		if !ok {
			return term{}
		}
		switch p.Name {
		case "id", "collection":
			return term{sql: "1 = 0", how: exact}
		case "datetime":
			return term{}
		}
		if !validName(p.Name) {
			return term{}
		}
		if f == Postgres {
			return term{"COALESCE(jsonb_typeof(i.props->CAST(? AS text)), 'null') = 'null'", []any{p.Name}, exact}
		}
		return term{"COALESCE(json_type(i.props, ?), 'null') = 'null'", []any{jsonPath(p.Name)}, exact}
	case "s_intersects":
		return intersectsTerm(op)
	case "t_intersects":
		return timeTerm(op)
	}
	return term{}
}

// intersectsTerm is S_INTERSECTS(geometry, literal) as an overlap of bounding boxes.
func intersectsTerm(op cql2.Op) term {
	if len(op.Args) != 2 {
		return term{}
	}
	a, b := op.Args[0], op.Args[1]
	if _, ok := b.(cql2.Property); ok {
		a, b = b, a
	}
	if p, ok := a.(cql2.Property); !ok || p.Name != "geometry" {
		return term{}
	}
	var box [4]float64
	switch g := b.(type) {
	case cql2.BBox:
		bb, err := normBBox(g)
		if err != nil {
			return term{}
		}
		box = bb
	case cql2.Geometry:
		env := g.G.Envelope()
		lo, hi, ok := env.MinMaxXYs()
		if !ok {
			return term{sql: "1 = 0", how: exact}
		}
		box = [4]float64{lo.X, lo.Y, hi.X, hi.Y}
	default:
		return term{}
	}
	sql, args := boxTerm(splitBox(box))
	return term{sql, args, superset}
}

// Operand kinds a comparison is checked for.
type kind int

const (
	kNone kind = iota
	kNumber
	kString
	kBool
	kTime
)

// literal is a CQL2 literal as a SQL argument (a Timestamp as µs); nil if e is none.
func literal(e cql2.Expr) any {
	switch v := e.(type) {
	case float64, string:
		return v
	case bool:
		return v
	case cql2.Timestamp:
		return v.T.UnixMicro()
	}
	return nil
}

func kindOf(v any) kind {
	switch v.(type) {
	case float64:
		return kNumber
	case string:
		return kString
	case bool:
		return kBool
	case int64:
		return kTime
	}
	return kNone
}

// compare translates property op literal (either way round).
func compare(op cql2.Op, f Flavor) term {
	if len(op.Args) != 2 {
		return term{}
	}
	a, b, sqlOp := op.Args[0], op.Args[1], op.Op
	if _, ok := a.(cql2.Property); !ok {
		a, b = b, a
		sqlOp = map[string]string{"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}[sqlOp]
	}
	l := literal(b)
	if l == nil {
		return term{}
	}
	v, ok := operand(a, kindOf(l), f)
	if !ok {
		return term{}
	}
	if bv, isBool := l.(bool); isBool && f == SQLite {
		l = boolInt(bv)
	}
	return term{v.sql + " " + sqlOp + " ?", append(v.args, l), v.how}
}

// operand is a property as a SQL value of kind k: NULL where the item lacks it or has a
// value of another type.
func operand(e cql2.Expr, k kind, f Flavor) (term, bool) {
	p, ok := e.(cql2.Property)
	if !ok {
		return term{}, false
	}
	switch p.Name {
	case "id", "collection":
		if k != kString {
			return term{}, false
		}
		col := "i.item_id"
		if p.Name == "collection" {
			col = "i.collection"
		}
		return term{sql: col, how: exact}, true
	case "datetime":
		// cql2.Eval reads a null datetime as start_datetime, which is the column dt.
		if k != kTime {
			return term{}, false
		}
		return term{sql: "i.dt", how: exact}, true
	}
	if k == kTime || !validName(p.Name) {
		return term{}, false
	}
	if f == Postgres {
		pg := map[kind][2]string{kNumber: {"number", "::float8"}, kString: {"string", ""}, kBool: {"boolean", "::boolean"}}[k]
		return term{"(CASE WHEN jsonb_typeof(i.props->CAST(? AS text)) = '" + pg[0] + "' THEN (i.props->>CAST(? AS text))" + pg[1] + " END)",
			[]any{p.Name, p.Name}, exact}, true
	}
	types := map[kind]string{kNumber: "'integer', 'real'", kString: "'text'", kBool: "'true', 'false'"}[k]
	path := jsonPath(p.Name)
	return term{"(CASE WHEN json_type(i.props, ?) IN (" + types + ") THEN json_extract(i.props, ?) END)",
		[]any{path, path}, exact}, true
}

// validName accepts property names a JSON path can quote.
func validName(n string) bool { return n != "" && !strings.ContainsAny(n, "\"\\") }

// jsonPath is SQLite's JSON path of a property name.
func jsonPath(name string) string { return `$."` + name + `"` }

// timeTerm is T_INTERSECTS(datetime, literal) as an overlap of the item's interval (which
// the index widens to hold its datetime: a superset).
func timeTerm(op cql2.Op) term {
	if len(op.Args) != 2 {
		return term{}
	}
	a, b := op.Args[0], op.Args[1]
	if _, ok := b.(cql2.Property); ok {
		a, b = b, a
	}
	if p, ok := a.(cql2.Property); !ok || p.Name != "datetime" {
		return term{}
	}
	bound := func(e cql2.Expr, end bool) (int64, bool, bool) { // value, open, ok
		switch v := e.(type) {
		case cql2.Timestamp:
			return v.T.UnixMicro(), false, true
		case cql2.Date:
			if end {
				return v.T.AddDate(0, 0, 1).UnixMicro() - 1, false, true
			}
			return v.T.UnixMicro(), false, true
		case string:
			return 0, v == "..", v == ".."
		}
		return 0, false, false
	}
	var lo, hi cql2.Expr
	switch v := b.(type) {
	case cql2.Interval:
		lo, hi = v.Start, v.End
	case cql2.Timestamp, cql2.Date:
		lo, hi = v, v
	default:
		return term{}
	}
	s, sOpen, ok1 := bound(lo, false)
	e, eOpen, ok2 := bound(hi, true)
	if !ok1 || !ok2 {
		return term{}
	}
	t := term{sql: "1 = 1", how: superset}
	if !sOpen {
		t.sql, t.args = "i.end_dt >= ?", []any{s}
	}
	if !eOpen {
		if sOpen {
			t.sql, t.args = "i.start_dt <= ?", []any{e}
		} else {
			t.sql, t.args = "i.end_dt >= ? AND i.start_dt <= ?", []any{s, e}
		}
	}
	return t
}
