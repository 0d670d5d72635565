package cql2

import (
	"strconv"
	"strings"
	"time"
)

// precedence levels of cql2-text, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precPredicate
	precAdditive
	precMultiplicative
	precPower
	precPrimary
)

// Text writes e as cql2-text; ParseText(Text(e)) gives e back. Keywords are upper-case,
// property names are written bare when they can be and double-quoted otherwise.
func Text(e Expr) string {
	var b strings.Builder
	writeText(&b, e, precOr)
	return b.String()
}

func precedence(e Expr) int {
	o, ok := e.(Op)
	if !ok {
		return precPrimary
	}
	switch o.Op {
	case "or":
		return precOr
	case "and":
		return precAnd
	case "not":
		return precNot
	case "=", "<>", "<", "<=", ">", ">=", "like", "between", "in", "isNull":
		return precPredicate
	case "+", "-":
		return precAdditive
	case "*", "/", "%", "div":
		return precMultiplicative
	case "^":
		return precPower
	}
	return precPrimary
}

// writeText writes e, in parentheses if it binds looser than min.
func writeText(b *strings.Builder, e Expr, min int) {
	if precedence(e) < min {
		b.WriteByte('(')
		writeText(b, e, precOr)
		b.WriteByte(')')
		return
	}
	switch x := e.(type) {
	case Op:
		writeOp(b, x)
	case Property:
		writeProperty(b, x.Name)
	case string:
		b.WriteString(quoteString(x))
	case float64:
		b.WriteString(formatNumber(x))
	case bool:
		if x {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case Timestamp:
		b.WriteString("TIMESTAMP(" + quoteString(formatTimestamp(x.T)) + ")")
	case Date:
		b.WriteString("DATE(" + quoteString(x.T.Format(time.DateOnly)) + ")")
	case Interval:
		b.WriteString("INTERVAL(")
		writeBound(b, x.Start)
		b.WriteString(", ")
		writeBound(b, x.End)
		b.WriteString(")")
	case Geometry:
		b.WriteString(x.G.AsText())
	case BBox:
		b.WriteString("BBOX(")
		for i, f := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formatNumber(f))
		}
		b.WriteString(")")
	case []Expr:
		writeArray(b, x, false)
	default:
		b.WriteString("NULL")
	}
}

// writeArray writes (a, b, …). A one-element array outside a place that expects an array
// is written [a], since (a) would read as a parenthesised a.
func writeArray(b *strings.Builder, arr []Expr, arrayPlace bool) {
	open, close := "(", ")"
	if len(arr) == 1 && !arrayPlace {
		open, close = "[", "]"
	}
	b.WriteString(open)
	for i, a := range arr {
		if i > 0 {
			b.WriteString(", ")
		}
		writeText(b, a, precOr)
	}
	b.WriteString(close)
}

func writeBound(b *strings.Builder, e Expr) {
	switch x := e.(type) {
	case string:
		b.WriteString(quoteString(x))
	case Timestamp:
		b.WriteString(quoteString(formatTimestamp(x.T)))
	case Date:
		b.WriteString(quoteString(x.T.Format(time.DateOnly)))
	default:
		writeText(b, e, precPrimary)
	}
}

func writeProperty(b *strings.Builder, name string) {
	up := strings.ToUpper(name)
	if isIdent(name) && !reserved[up] && !wktTypes[up] && namedOps[up] == "" &&
		up != "TIMESTAMP" && up != "DATE" && up != "INTERVAL" && up != "BBOX" {
		b.WriteString(name)
		return
	}
	b.WriteString(`"` + strings.ReplaceAll(name, `"`, `""`) + `"`)
}

func writeOp(b *strings.Builder, o Op) {
	a := o.Args
	switch o.Op {
	case "and", "or":
		// a nested op of the same kind keeps its parentheses, so the tree reads back the same
		min := precAnd + 1
		if o.Op == "or" {
			min = precOr + 1
		}
		for i, x := range a {
			if i > 0 {
				b.WriteString(" " + strings.ToUpper(o.Op) + " ")
			}
			writeText(b, x, min)
		}
		return
	case "not":
		if len(a) == 1 {
			b.WriteString("NOT ")
			writeText(b, a[0], precNot)
			return
		}
	case "=", "<>", "<", "<=", ">", ">=", "like":
		if len(a) == 2 {
			writeText(b, a[0], precAdditive)
			if o.Op == "like" {
				b.WriteString(" LIKE ")
			} else {
				b.WriteString(" " + o.Op + " ")
			}
			writeText(b, a[1], precAdditive)
			return
		}
	case "between":
		if len(a) == 3 {
			writeText(b, a[0], precAdditive)
			b.WriteString(" BETWEEN ")
			writeText(b, a[1], precAdditive)
			b.WriteString(" AND ")
			writeText(b, a[2], precAdditive)
			return
		}
	case "in":
		if len(a) == 2 {
			if arr, ok := a[1].([]Expr); ok {
				writeText(b, a[0], precAdditive)
				b.WriteString(" IN ")
				writeArray(b, arr, true)
				return
			}
		}
	case "isNull":
		if len(a) == 1 {
			writeText(b, a[0], precAdditive)
			b.WriteString(" IS NULL")
			return
		}
	case "+", "-", "*", "/", "%", "div":
		if len(a) == 2 {
			level := precedence(o)
			writeText(b, a[0], level)
			b.WriteString(" " + o.Op + " ")
			writeText(b, a[1], level+1)
			return
		}
	case "^":
		if len(a) == 2 {
			writeText(b, a[0], precPower+1)
			b.WriteString(" ^ ")
			writeText(b, a[1], precPower)
			return
		}
	}
	name := o.Op
	if up := strings.ToUpper(name); namedOps[up] == name {
		name = up
	}
	b.WriteString(name + "(")
	for i, x := range a {
		if i > 0 {
			b.WriteString(", ")
		}
		if arr, ok := x.([]Expr); ok && arrayOps[o.Op] {
			writeArray(b, arr, true)
			continue
		}
		writeText(b, x, precOr)
	}
	b.WriteString(")")
}

func formatNumber(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func formatTimestamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
