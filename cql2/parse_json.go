package cql2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/peterstace/simplefeatures/geom"
)

// jsonOps maps the lower-case spelling of every cql2-json operator to its canonical name.
var jsonOps = func() map[string]string {
	m := map[string]string{}
	for op := range arity {
		m[strings.ToLower(op)] = op
	}
	m["and"], m["or"] = "and", "or"
	return m
}()

// ParseJSON parses a cql2-json expression: {"op": …, "args": […]}, {"property": …},
// {"timestamp": …}, {"date": …}, {"interval": […]}, {"bbox": […]}, a GeoJSON geometry, an
// array or a literal. Operator names are matched case-insensitively.
func ParseJSON(b []byte) (Expr, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("filter: empty cql2-json")
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return nil, fmt.Errorf("filter: invalid JSON: %s", oneLine(err))
	}
	e, err := parseJSONValue(json.RawMessage(b), 0)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	return e, nil
}

func parseJSONValue(raw json.RawMessage, depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, errors.New("filter nested too deeply")
	}
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '{':
		return parseJSONObject(raw, depth)
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		return parseJSONList(items, depth+1)
	case 'n':
		return nil, errors.New("null is not a CQL2 value (use isNull)")
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("invalid value %s: %s", raw, oneLine(err))
	}
	return v, nil // string, float64 or bool
}

func parseJSONList(items []json.RawMessage, depth int) ([]Expr, error) {
	out := make([]Expr, 0, len(items))
	for _, it := range items {
		e, err := parseJSONValue(it, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func parseJSONObject(raw json.RawMessage, depth int) (Expr, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	str := func(key string) (string, error) {
		var s string
		if err := json.Unmarshal(obj[key], &s); err != nil {
			return "", fmt.Errorf("%q takes a string", key)
		}
		return s, nil
	}
	switch {
	case obj["op"] != nil:
		return parseJSONOp(obj, depth)
	case obj["property"] != nil:
		name, err := str("property")
		return Property{Name: name}, err
	case obj["timestamp"] != nil:
		s, err := str("timestamp")
		if err != nil {
			return nil, err
		}
		return parseTimestamp(s)
	case obj["date"] != nil:
		s, err := str("date")
		if err != nil {
			return nil, err
		}
		return parseDate(s)
	case obj["interval"] != nil:
		return parseJSONInterval(obj["interval"], depth)
	case obj["bbox"] != nil:
		var b BBox
		if err := json.Unmarshal(obj["bbox"], &b); err != nil {
			return nil, errors.New(`"bbox" takes an array of numbers`)
		}
		return b, checkBBox(b)
	case obj["type"] != nil:
		g, err := geom.UnmarshalGeoJSON(raw, geom.NoValidate{})
		if err != nil {
			return nil, fmt.Errorf("invalid GeoJSON geometry: %s", oneLine(err))
		}
		return Geometry{G: g}, nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, fmt.Sprintf("%q", k))
	}
	sort.Strings(keys)
	return nil, fmt.Errorf("unknown object with keys [%s]", strings.Join(keys, ", "))
}

func parseJSONOp(obj map[string]json.RawMessage, depth int) (Expr, error) {
	var name string
	if err := json.Unmarshal(obj["op"], &name); err != nil {
		return nil, errors.New(`"op" takes a string`)
	}
	canonical, known := jsonOps[strings.ToLower(name)]
	if known {
		name = canonical
	} else if !isFunctionName(name) {
		return nil, fmt.Errorf("unknown operator %q", name)
	}
	var rawArgs []json.RawMessage
	if a := obj["args"]; a != nil {
		if err := json.Unmarshal(a, &rawArgs); err != nil {
			return nil, fmt.Errorf(`"args" of %s takes an array`, opDisplay(name))
		}
	}
	args, err := parseJSONList(rawArgs, depth+1)
	if err != nil {
		return nil, err
	}
	o := Op{Op: name, Args: args}
	if err := checkArity(o); err != nil {
		return nil, err
	}
	if name == "in" {
		if _, ok := args[1].([]Expr); !ok {
			return nil, errors.New("IN takes an array as its second argument")
		}
	}
	return o, nil
}

// isFunctionName reports whether name can be a function in both encodings: an identifier
// that cql2-text does not read as a keyword or literal.
func isFunctionName(name string) bool {
	up := strings.ToUpper(name)
	return isIdent(name) && !reserved[up] && !wktTypes[up] &&
		up != "TIMESTAMP" && up != "DATE" && up != "INTERVAL" && up != "BBOX" && up != "ISNULL"
}

func parseJSONInterval(raw json.RawMessage, depth int) (Expr, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || len(items) != 2 {
		return nil, errors.New(`"interval" takes an array of two bounds`)
	}
	var bounds [2]Expr
	for i, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			b, err := parseBound(s)
			if err != nil {
				return nil, err
			}
			bounds[i] = b
			continue
		}
		e, err := parseJSONValue(it, depth+1)
		if err != nil {
			return nil, err
		}
		switch e.(type) {
		case Timestamp, Date, Property:
			bounds[i] = e
		default:
			return nil, errors.New("an interval's bounds are dates, timestamps, \"..\" or properties")
		}
	}
	return Interval{Start: bounds[0], End: bounds[1]}, nil
}
