package cql2

import (
	"cmp"
	"fmt"
	"time"
)

// bound is one end of an interval; inf is -1 for an open start, +1 for an open end.
type bound struct {
	t   time.Time
	inf int
}

func cmpBound(a, b bound) int {
	if a.inf != 0 || b.inf != 0 {
		return cmp.Compare(a.inf, b.inf)
	}
	return a.t.Compare(b.t)
}

// interval is an evaluated time interval, both ends inclusive; an instant has start == end.
type interval struct{ start, end bound }

func instant(t time.Time) interval { return interval{bound{t: t}, bound{t: t}} }

// interval evaluates an INTERVAL literal; a bound that is a NULL property makes it NULL.
func (ev evaluator) interval(x Interval) (val, error) {
	var iv interval
	dyn := false
	for i, e := range []Expr{x.Start, x.End} {
		var b bound
		switch v := e.(type) {
		case Timestamp:
			b.t = v.T
		case Date:
			b.t = v.T
		case string:
			if v != ".." {
				return val{}, fmt.Errorf("interval bound %q is not \"..\"", v)
			}
			b.inf = 2*i - 1
		case Property:
			dyn = true
			p := ev.property(v.Name)
			var t time.Time
			var ok bool
			switch pv := p.v.(type) {
			case string:
				t, ok = parseInstant(pv)
			case time.Time:
				t, ok = pv, true
			}
			if !ok {
				return val{dyn: true}, nil
			}
			b.t = t
		default:
			return val{}, fmt.Errorf("interval bound of type %T", e)
		}
		if i == 0 {
			iv.start = b
		} else {
			iv.end = b
		}
	}
	if cmpBound(iv.start, iv.end) > 0 {
		if dyn {
			return val{dyn: true}, nil
		}
		return val{}, fmt.Errorf("interval %s ends before it starts", Text(x))
	}
	return val{v: iv, dyn: dyn}, nil
}

// temporalOperand reads an argument of a T_* operator as an interval. The property
// "datetime" of an item with start_datetime and end_datetime is that interval.
func (ev evaluator) temporalOperand(e Expr, v val) (interval, bool) {
	if p, ok := e.(Property); ok && p.Name == "datetime" {
		s, _ := ev.f.Property("start_datetime")
		end, _ := ev.f.Property("end_datetime")
		ss, ok1 := s.(string)
		es, ok2 := end.(string)
		if ok1 && ok2 {
			st, ok1 := parseInstant(ss)
			et, ok2 := parseInstant(es)
			if ok1 && ok2 && !st.After(et) {
				return interval{bound{t: st}, bound{t: et}}, true
			}
		}
	}
	switch x := v.v.(type) {
	case interval:
		return x, true
	case time.Time:
		return instant(x), true
	case string:
		if t, ok := parseInstant(x); ok {
			return instant(t), true
		}
	}
	return interval{}, false
}

// temporal evaluates the T_* operators of Allen's interval algebra as CQL2 defines them;
// an instant is an interval whose start and end are equal.
func (ev evaluator) temporal(o Op, a, b val) (tri, error) {
	if a.v == nil || b.v == nil {
		return unknown, nil
	}
	x, ok1 := ev.temporalOperand(o.Args[0], a)
	y, ok2 := ev.temporalOperand(o.Args[1], b)
	if !ok1 || !ok2 {
		bad := a.v
		if ok1 {
			bad = b.v
		}
		return mismatch(a, b, "%s takes timestamps, dates or intervals, not %s", opDisplay(o.Op), describe(bad))
	}
	ss, se := cmpBound(x.start, y.start), cmpBound(x.start, y.end)
	es, ee := cmpBound(x.end, y.start), cmpBound(x.end, y.end)
	var r bool
	switch o.Op {
	case "t_after":
		r = se > 0
	case "t_before":
		r = es < 0
	case "t_contains":
		r = ss < 0 && ee > 0
	case "t_disjoint":
		r = se > 0 || es < 0
	case "t_during":
		r = ss > 0 && ee < 0
	case "t_equals":
		r = ss == 0 && ee == 0
	case "t_finishedBy":
		r = ss < 0 && ee == 0
	case "t_finishes":
		r = ss > 0 && ee == 0
	case "t_intersects":
		r = se <= 0 && es >= 0
	case "t_meets":
		r = es == 0
	case "t_metBy":
		r = se == 0
	case "t_overlappedBy":
		r = ss > 0 && se < 0 && ee > 0
	case "t_overlaps":
		r = ss < 0 && es > 0 && ee < 0
	case "t_startedBy":
		r = ss == 0 && ee > 0
	case "t_starts":
		r = ss == 0 && ee < 0
	default:
		return unknown, fmt.Errorf("function %s: %w", o.Op, ErrUnsupported)
	}
	return triOf(r), nil
}
