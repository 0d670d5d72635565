package cli

// The functions of --format go-template. ORAS offers the Sprig library
// (https://masterminds.github.io/sprig/); these are the Sprig functions that apply to the
// output models (strings, lists, dicts, JSON, paths, integers), under Sprig's names and with
// its behaviour, so a template written for `oras` that uses them runs unchanged. Functions
// that touch the environment, time, randomness or cryptography are left out.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

func templateFuncs() template.FuncMap {
	return template.FuncMap{
		// strings; Sprig puts the string last so that it can be piped: {{.x | trimPrefix "a"}}
		"trim":       strings.TrimSpace,
		"upper":      strings.ToUpper,
		"lower":      strings.ToLower,
		"trimAll":    func(cut, s string) string { return strings.Trim(s, cut) },
		"trimPrefix": func(prefix, s string) string { return strings.TrimPrefix(s, prefix) },
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"hasPrefix":  func(prefix, s string) bool { return strings.HasPrefix(s, prefix) },
		"hasSuffix":  func(suffix, s string) bool { return strings.HasSuffix(s, suffix) },
		"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"repeat":     func(n int, s string) string { return strings.Repeat(s, n) },
		"trunc":      trunc,
		"indent":     indent,
		"nindent":    func(n int, s string) string { return "\n" + indent(n, s) },
		"splitList":  func(sep, s string) []string { return strings.Split(s, sep) },
		"join":       func(sep string, v any) string { return strings.Join(toStrings(v), sep) },
		"quote":      func(v ...any) string { return joinNonNil(v, func(x any) string { return strconv.Quote(toString(x)) }) },
		"squote":     func(v ...any) string { return joinNonNil(v, func(x any) string { return "'" + fmt.Sprint(x) + "'" }) },
		"cat":        func(v ...any) string { return joinNonNil(v, func(x any) string { return fmt.Sprint(x) }) },
		"toString":   toString,
		"b64enc":     func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"b64dec":     b64dec,
		// paths (slash-separated, as in references and titles)
		"base":  path.Base,
		"dir":   path.Dir,
		"ext":   path.Ext,
		"clean": path.Clean,
		// lists and dicts
		"list":      func(v ...any) []any { return v },
		"first":     func(v any) (any, error) { return at(v, "first", func(n int) int { return 0 }) },
		"last":      func(v any) (any, error) { return at(v, "last", func(n int) int { return n - 1 }) },
		"has":       has,
		"uniq":      uniq,
		"sortAlpha": sortAlpha,
		"dict":      dict,
		"get":       func(d map[string]any, k string) any { return getOr(d, k, "") },
		"hasKey":    func(d map[string]any, k string) bool { _, ok := d[k]; return ok },
		"keys":      keys,
		// defaults and flow
		"default":  func(d any, v ...any) any { return defaultValue(d, v) },
		"empty":    empty,
		"coalesce": coalesce,
		"ternary":  ternary,
		"fail":     func(msg string) (string, error) { return "", errors.New(msg) },
		// JSON
		"toJson":       func(v any) string { b, _ := json.Marshal(v); return string(b) },
		"toPrettyJson": func(v any) string { b, _ := json.MarshalIndent(v, "", "  "); return string(b) },
		"toRawJson":    toRawJSON,
		"fromJson":     func(s string) any { var v any; _ = json.Unmarshal([]byte(s), &v); return v },
		// integers (JSON numbers arrive as float64 and are truncated)
		"add":  func(v ...any) int64 { return fold(v, 0, func(a, b int64) int64 { return a + b }) },
		"add1": func(v any) int64 { return toInt64(v) + 1 },
		"sub":  func(a, b any) int64 { return toInt64(a) - toInt64(b) },
		"mul":  func(a any, v ...any) int64 { return fold(v, toInt64(a), func(x, y int64) int64 { return x * y }) },
		"div":  func(a, b any) int64 { return toInt64(a) / toInt64(b) },
		"mod":  func(a, b any) int64 { return toInt64(a) % toInt64(b) },
		"max":  func(a any, v ...any) int64 { return fold(v, toInt64(a), func(x, y int64) int64 { return max(x, y) }) },
		"min":  func(a any, v ...any) int64 { return fold(v, toInt64(a), func(x, y int64) int64 { return min(x, y) }) },
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case error:
		return v.Error()
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// toStrings is a list's non-nil elements as strings; anything else is one string.
func toStrings(v any) []string {
	if s, ok := v.([]string); ok {
		return s
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		if v == nil {
			return []string{}
		}
		return []string{toString(v)}
	}
	out := make([]string, 0, rv.Len())
	for i := range rv.Len() {
		if e := rv.Index(i).Interface(); e != nil {
			out = append(out, toString(e))
		}
	}
	return out
}

func joinNonNil(v []any, f func(any) string) string {
	var out []string
	for _, x := range v {
		if x != nil {
			out = append(out, f(x))
		}
	}
	return strings.Join(out, " ")
}

func trunc(n int, s string) string {
	switch {
	case n < 0 && len(s)+n > 0:
		return s[len(s)+n:]
	case n >= 0 && len(s) > n:
		return s[:n]
	}
	return s
}

func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

func b64dec(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// elems is a slice or array's elements; ok is false for anything else.
func elems(v any) (out []any, ok bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	for i := range rv.Len() {
		out = append(out, rv.Index(i).Interface())
	}
	return out, true
}

// at is the element of list v at index(len), nil for an empty list.
func at(v any, name string, index func(int) int) (any, error) {
	l, ok := elems(v)
	if !ok {
		return nil, fmt.Errorf("Cannot find %s on type %s", name, reflect.TypeOf(v).Kind())
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l[index(len(l))], nil
}

func has(needle, haystack any) (bool, error) {
	if haystack == nil {
		return false, nil
	}
	l, ok := elems(haystack)
	if !ok {
		return false, fmt.Errorf("Cannot find has on type %s", reflect.TypeOf(haystack).Kind())
	}
	return slices.ContainsFunc(l, func(e any) bool { return reflect.DeepEqual(needle, e) }), nil
}

func uniq(v any) ([]any, error) {
	l, ok := elems(v)
	if !ok {
		return nil, fmt.Errorf("Cannot find uniq on type %s", reflect.TypeOf(v).Kind())
	}
	out := []any{}
	for _, e := range l {
		if !slices.ContainsFunc(out, func(o any) bool { return reflect.DeepEqual(o, e) }) {
			out = append(out, e)
		}
	}
	return out, nil
}

func sortAlpha(v any) []string {
	if _, ok := elems(v); !ok {
		return []string{toString(v)}
	}
	return slices.Sorted(slices.Values(toStrings(v)))
}

func dict(v ...any) map[string]any {
	d := map[string]any{}
	for i := 0; i < len(v); i += 2 {
		if i+1 < len(v) {
			d[toString(v[i])] = v[i+1]
		} else {
			d[toString(v[i])] = ""
		}
	}
	return d
}

func getOr(d map[string]any, k string, def any) any {
	if v, ok := d[k]; ok {
		return v
	}
	return def
}

// keys are the keys of the dicts, sorted (Sprig leaves them in map order).
func keys(dicts ...map[string]any) []string {
	out := []string{}
	for _, d := range dicts {
		for k := range d {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// empty reports whether v is its type's zero value (nil, "", 0, false, an empty list or dict).
func empty(v any) bool {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return true
	}
	switch rv.Kind() {
	case reflect.Array, reflect.Slice, reflect.Map, reflect.String:
		return rv.Len() == 0
	case reflect.Struct:
		return false
	case reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
		return rv.IsNil()
	}
	return rv.IsZero()
}

func defaultValue(d any, given []any) any {
	if len(given) == 0 || empty(given[0]) {
		return d
	}
	return given[0]
}

func coalesce(v ...any) any {
	for _, x := range v {
		if !empty(x) {
			return x
		}
	}
	return nil
}

func ternary(t, f any, c bool) any {
	if c {
		return t
	}
	return f
}

func toRawJSON(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func toInt64(v any) int64 {
	switch v := v.(type) {
	case float64:
		return int64(v)
	case bool:
		if v {
			return 1
		}
		return 0
	case string:
		n, _ := strconv.ParseInt(v, 0, 64)
		return n
	}
	rv := reflect.ValueOf(v)
	switch {
	case rv.CanInt():
		return rv.Int()
	case rv.CanUint():
		return int64(rv.Uint())
	}
	return 0
}

func fold(v []any, start int64, f func(a, b int64) int64) int64 {
	for _, x := range v {
		start = f(start, toInt64(x))
	}
	return start
}
