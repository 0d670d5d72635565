package stacindex

import (
	"context"
	"fmt"
	"strings"
)

// sortKey is one ORDER BY term: sel is what the row reports (kept in page tokens), cmp what
// keyset conditions compare (a PostgreSQL property is compared as jsonb, reported as text).
type sortKey struct {
	sel, cmp string
	desc     bool
	nullable bool
	json     bool // cmp takes CAST(? AS jsonb)
}

// orderBy is the key's ORDER BY term. NULL sorts first ascending and last descending on both
// engines (SQLite's order). plus keeps SQLite from sorting with an index.
func (k sortKey) orderBy(f Flavor, plus bool) string {
	s := k.cmp
	if plus && f == SQLite {
		s = "+" + s
	}
	if k.desc {
		s += " DESC"
	}
	if f == Postgres && k.nullable {
		if k.desc {
			s += " NULLS LAST"
		} else {
			s += " NULLS FIRST"
		}
	}
	return s
}

var (
	keyDatetime   = sortKey{sel: "i.dt", cmp: "i.dt"}
	keyCollection = sortKey{sel: "i.collection", cmp: "i.collection"}
	keyID         = sortKey{sel: "i.item_id", cmp: "i.item_id"}
)

// sortKeys are the ORDER BY terms of a sortby (default: datetime descending), always ending
// with collection and id, which make every current item's key unique.
func (x *DB) sortKeys(ctx context.Context, by []Sort) ([]sortKey, error) {
	if len(by) == 0 {
		by = []Sort{{Field: "datetime", Desc: true}}
	}
	var keys []sortKey
	seen := map[string]bool{}
	for _, s := range by {
		name := strings.TrimPrefix(s.Field, "properties.")
		if seen[name] {
			continue
		}
		seen[name] = true
		var k sortKey
		switch name {
		case "datetime":
			k = keyDatetime
		case "collection":
			k = keyCollection
		case "id":
			k = keyID
		default:
			ok, err := x.isProperty(ctx, name)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("%w: cannot sort by %s", ErrBadQuery, s.Field)
			}
			k = propertyKey(name, x.f)
		}
		k.desc = s.Desc
		keys = append(keys, k)
	}
	if !seen["collection"] {
		keys = append(keys, keyCollection)
	}
	if !seen["id"] {
		keys = append(keys, keyID)
	}
	return keys, nil
}

// propertyKey sorts by an item property.
func propertyKey(name string, f Flavor) sortKey {
	lit := "'" + strings.ReplaceAll(name, "'", "''") + "'"
	if f == Postgres {
		return sortKey{sel: "(i.props->" + lit + ")::text", cmp: "(i.props->" + lit + ")", nullable: true, json: true}
	}
	e := "json_extract(i.props, '" + strings.ReplaceAll(jsonPath(name), "'", "''") + "')"
	return sortKey{sel: e, cmp: e, nullable: true}
}

// isProperty reports whether items have (or queryables name) a property to sort by.
func (x *DB) isProperty(ctx context.Context, name string) (bool, error) {
	if !validName(name) {
		return false, nil
	}
	if _, ok := commonQueryables[name]; ok {
		return true, nil
	}
	var one int
	err := x.r().queryRow(ctx, `SELECT count(*) FROM stac_props WHERE name = ?`, name).Scan(&one)
	return one > 0, err
}

// afterTerm is "the row sorts after vals" over keys.
func afterTerm(keys []sortKey, vals []any, f Flavor) (string, []any) {
	var lead string
	var leadArgs []any
	if k, v := keys[0], vals[0]; !k.nullable && v != nil {
		// A range on the first key lets the engine seek in its index.
		op := ">="
		if k.desc {
			op = "<="
		}
		lead, leadArgs = k.cmp+" "+op+" "+k.param(), []any{v}
	}
	s, args := afterFrom(keys, vals, 0)
	if lead != "" {
		return lead + " AND (" + s + ")", append(leadArgs, args...)
	}
	return "(" + s + ")", args
}

func afterFrom(keys []sortKey, vals []any, i int) (string, []any) {
	k, v := keys[i], vals[i]
	var strict, equal string
	var sArgs, eArgs []any
	switch {
	case v == nil && k.desc:
		strict = "1 = 0"
	case v == nil:
		strict = k.cmp + " IS NOT NULL"
	case k.desc:
		strict, sArgs = k.cmp+" < "+k.param(), []any{v}
		if k.nullable {
			strict = "(" + strict + " OR " + k.cmp + " IS NULL)"
		}
	default:
		strict, sArgs = k.cmp+" > "+k.param(), []any{v}
	}
	if v == nil {
		equal = k.cmp + " IS NULL"
	} else {
		equal, eArgs = k.cmp+" = "+k.param(), []any{v}
	}
	if i == len(keys)-1 {
		return strict, sArgs
	}
	rest, rArgs := afterFrom(keys, vals, i+1)
	args := append(append(append([]any{}, sArgs...), eArgs...), rArgs...)
	return strict + " OR (" + equal + " AND (" + rest + "))", args
}

// param is the placeholder of a key value.
func (k sortKey) param() string {
	if k.json {
		return "CAST(? AS jsonb)"
	}
	return "?"
}

// normKey is a scanned key value as a token keeps it.
func normKey(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int:
		return int64(x)
	case int32:
		return int64(x)
	}
	return v
}
