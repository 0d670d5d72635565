package cql2

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/peterstace/simplefeatures/geom"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Feature is what Eval reads a property's value from. Values are as encoding/json decodes
// them (string, float64, bool, nil, []any, map[string]any), except "geometry", which is a
// geom.Geometry. "id", "collection", "datetime", "start_datetime", "end_datetime" and every
// item property are looked up by name; timestamps are RFC 3339 strings.
type Feature interface {
	Property(name string) (any, bool)
}

// val is an evaluated expression: nil (NULL), float64, string, bool, time.Time, interval,
// geom.Geometry or []any. dyn marks a value read from the feature: a type mismatch with it
// makes the predicate unknown instead of an error.
type val struct {
	v   any
	dyn bool
}

// Eval reports whether f matches e.
//
// Numbers compare as numbers, strings byte by byte, booleans with false before true. A
// TIMESTAMP or DATE compares as an instant (a DATE is its 00:00 UTC) with another one or
// with a property holding an RFC 3339 string or a YYYY-MM-DD date. The A_* operators treat
// arrays as sets, and a scalar property value as an array of one; = and <> compare arrays
// element by element. Arithmetic that has
// no finite result (a division by zero) is NULL.
//
// NULL: a comparison with a missing or null property is unknown, and Eval answers false for
// unknown; IS NULL is true for a missing property. With NOT, such an item matches neither
// "x = 1" nor "NOT x = 1", as in SQL.
//
// STAC times: "datetime" falls back to "start_datetime" when it is null or missing, and in
// the T_* operators "datetime" is the interval [start_datetime, end_datetime] of an item
// that has both (else the instant datetime). T_INTERSECTS(datetime, INTERVAL(a, b)) thus
// finds every item whose time overlaps [a, b], as the search's datetime parameter does.
// An INTERVAL bound that is a missing property makes the interval NULL.
func Eval(e Expr, f Feature) (bool, error) {
	ev := evaluator{f: f}
	v, err := ev.value(e)
	if err != nil {
		return false, fmt.Errorf("filter: %w", err)
	}
	t, err := truth(v)
	if err != nil {
		return false, fmt.Errorf("filter: %w", err)
	}
	return t == yes, nil
}

type tri int8

const (
	no tri = iota
	yes
	unknown
)

func (t tri) val() val {
	switch t {
	case yes:
		return val{v: true}
	case no:
		return val{v: false}
	}
	return val{}
}

// truth reads a value as a boolean.
func truth(v val) (tri, error) {
	switch b := v.v.(type) {
	case nil:
		return unknown, nil
	case bool:
		if b {
			return yes, nil
		}
		return no, nil
	}
	if v.dyn {
		return unknown, nil
	}
	return no, fmt.Errorf("expected a boolean, found %s", describe(v.v))
}

type evaluator struct{ f Feature }

func (ev evaluator) property(name string) val {
	v, _ := ev.f.Property(name)
	if v == nil && name == "datetime" {
		v, _ = ev.f.Property("start_datetime")
	}
	return val{v: normalize(v), dyn: true}
}

// normalize turns the numbers and arrays a Feature may hold into float64 and []any.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case *geom.Geometry:
		if x == nil {
			return nil
		}
		return *x
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint())
	case reflect.Float32:
		return rv.Float()
	}
	return v
}

func (ev evaluator) value(e Expr) (val, error) {
	switch x := e.(type) {
	case Op:
		return ev.op(x)
	case Property:
		return ev.property(x.Name), nil
	case string, float64, bool:
		return val{v: x}, nil
	case Timestamp:
		return val{v: x.T}, nil
	case Date:
		return val{v: x.T}, nil
	case Interval:
		return ev.interval(x)
	case Geometry:
		return val{v: x.G}, nil
	case BBox:
		g, err := bboxGeometry(x)
		return val{v: g}, err
	case []Expr:
		arr := make([]any, len(x))
		dyn := false
		for i, a := range x {
			v, err := ev.value(a)
			if err != nil {
				return val{}, err
			}
			arr[i], dyn = v.v, dyn || v.dyn
		}
		return val{v: arr, dyn: dyn}, nil
	}
	return val{}, fmt.Errorf("unknown expression of type %T", e)
}

func (ev evaluator) op(o Op) (val, error) {
	if err := checkArity(o); err != nil {
		return val{}, err
	}
	switch o.Op {
	case "and", "or":
		return ev.logic(o)
	case "not":
		t, err := ev.truth(o.Args[0])
		if t == unknown || err != nil {
			return val{}, err
		}
		return (1 - t).val(), nil
	case "isNull":
		v, err := ev.value(o.Args[0])
		return val{v: v.v == nil}, err
	case "casei", "accenti":
		return ev.fold(o)
	case "+", "-", "*", "/", "%", "div", "^":
		return ev.arithmetic(o)
	}
	args, err := ev.values(o.Args)
	if err != nil {
		return val{}, err
	}
	var t tri
	switch {
	case comparisons[o.Op]:
		t, err = compare(o.Op, args[0], args[1])
	case o.Op == "like":
		t, err = like(args[0], args[1])
	case o.Op == "between":
		t, err = between(args[0], args[1], args[2])
	case o.Op == "in":
		t, err = in(args[0], args[1])
	case strings.HasPrefix(o.Op, "s_") && arity[o.Op] == 2:
		t, err = spatial(o.Op, args[0], args[1])
	case strings.HasPrefix(o.Op, "t_") && arity[o.Op] == 2:
		t, err = ev.temporal(o, args[0], args[1])
	case arrayOps[o.Op]:
		t, err = array(o.Op, args[0], args[1])
	default:
		return val{}, fmt.Errorf("function %s: %w", o.Op, ErrUnsupported)
	}
	return t.val(), err
}

func (ev evaluator) values(args []Expr) ([]val, error) {
	out := make([]val, len(args))
	for i, a := range args {
		v, err := ev.value(a)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (ev evaluator) truth(e Expr) (tri, error) {
	v, err := ev.value(e)
	if err != nil {
		return unknown, err
	}
	return truth(v)
}

// logic evaluates AND and OR with SQL's three-valued logic.
func (ev evaluator) logic(o Op) (val, error) {
	decisive := no // AND stops at the first false, OR at the first true
	if o.Op == "or" {
		decisive = yes
	}
	result := 1 - decisive
	for _, a := range o.Args {
		t, err := ev.truth(a)
		if err != nil {
			return val{}, err
		}
		if t == decisive {
			return t.val(), nil
		}
		if t == unknown {
			result = unknown
		}
	}
	return result.val(), nil
}

// fold evaluates CASEI (case folding) and ACCENTI (removing combining marks).
func (ev evaluator) fold(o Op) (val, error) {
	v, err := ev.value(o.Args[0])
	if err != nil || v.v == nil {
		return v, err
	}
	s, ok := v.v.(string)
	if !ok {
		if v.dyn {
			return val{}, nil
		}
		return val{}, fmt.Errorf("%s takes a string, not %s", opDisplay(o.Op), describe(v.v))
	}
	if o.Op == "casei" {
		return val{v: cases.Fold().String(s), dyn: v.dyn}, nil
	}
	return val{v: stripAccents(s), dyn: v.dyn}, nil
}

func stripAccents(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	for _, r := range d {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

func (ev evaluator) arithmetic(o Op) (val, error) {
	args, err := ev.values(o.Args)
	if err != nil {
		return val{}, err
	}
	a, b := args[0], args[1]
	dyn := a.dyn || b.dyn
	if a.v == nil || b.v == nil {
		return val{}, nil
	}
	x, ok1 := a.v.(float64)
	y, ok2 := b.v.(float64)
	if !ok1 || !ok2 {
		if dyn {
			return val{}, nil
		}
		bad := a.v
		if ok1 {
			bad = b.v
		}
		return val{}, fmt.Errorf("'%s' takes numbers, not %s", o.Op, describe(bad))
	}
	switch o.Op {
	case "+":
		return finite(x+y, dyn), nil
	case "-":
		return finite(x-y, dyn), nil
	case "*":
		return finite(x*y, dyn), nil
	case "^":
		return finite(math.Pow(x, y), dyn), nil
	}
	if y == 0 {
		return val{dyn: dyn}, nil // division by zero is NULL
	}
	switch o.Op {
	case "%":
		return val{v: math.Mod(x, y), dyn: dyn}, nil
	case "div":
		return finite(math.Trunc(x/y), dyn), nil
	}
	return finite(x/y, dyn), nil
}

// finite is a numeric result, NULL where it is not a finite number.
func finite(f float64, dyn bool) val {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return val{dyn: dyn}
	}
	return val{v: f, dyn: dyn}
}

// mismatch is the result of operands of types an operator cannot combine: unknown when a
// value came from the feature, an error when the filter itself is wrong.
func mismatch(a, b val, format string, args ...any) (tri, error) {
	if a.dyn || b.dyn {
		return unknown, nil
	}
	return unknown, fmt.Errorf(format, args...)
}

// describe names a value for an error message: the value itself for scalars, else its kind.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case float64:
		return formatNumber(x)
	case bool:
		return fmt.Sprint(x)
	case time.Time:
		return "timestamp " + formatTimestamp(x)
	}
	return kind(v)
}

// kind names the type of a value with its article.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "NULL"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case time.Time:
		return "a timestamp"
	case interval:
		return "an interval"
	case geom.Geometry:
		return "a geometry"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

var errIncomparable = errors.New("incomparable")
