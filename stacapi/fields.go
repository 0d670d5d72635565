package stacapi

import "strings"

// defaultFields are the fields of an item when a request names fields: what makes a valid
// STAC Item (https://github.com/stac-api-extensions/fields#includeexclude-semantics).
var defaultFields = []string{
	"type", "stac_version", "stac_extensions", "id", "collection", "geometry", "bbox", "links",
	"assets", "properties.datetime",
}

// fields is the fields extension's include and exclude sets, as dotted paths.
type fields struct {
	include []string // default ∪ requested
	exclude []string
}

func newFields(include, exclude []string) *fields {
	f := &fields{include: append(append([]string(nil), defaultFields...), include...)}
	for _, e := range exclude {
		if e != "" {
			f.exclude = append(f.exclude, e)
		}
	}
	return f
}

// apply keeps the included fields of an item and then removes the excluded ones: a field
// named in both is removed, and so is everything below an excluded field.
func (f *fields) apply(item map[string]any) map[string]any {
	out := map[string]any{}
	for _, p := range f.include {
		copyPath(out, item, strings.Split(p, "."))
	}
	for _, p := range f.exclude {
		deletePath(out, strings.Split(p, "."))
	}
	return out
}

// copyPath copies src's value at path into dst, creating the objects along it.
func copyPath(dst, src map[string]any, path []string) {
	v, ok := src[path[0]]
	if !ok || path[0] == "" {
		return
	}
	if len(path) == 1 {
		dst[path[0]] = v
		return
	}
	sub, ok := v.(map[string]any)
	if !ok {
		return
	}
	d, ok := dst[path[0]].(map[string]any)
	if !ok {
		if _, whole := dst[path[0]]; whole {
			return // the whole object is already included
		}
		d = map[string]any{}
		dst[path[0]] = d
	}
	copyPath(d, sub, path[1:])
}

// deletePath removes the value at path; objects are copied on the way so the source item is
// not changed.
func deletePath(m map[string]any, path []string) {
	if len(path) == 1 {
		delete(m, path[0])
		return
	}
	sub, ok := m[path[0]].(map[string]any)
	if !ok {
		return
	}
	c := make(map[string]any, len(sub))
	for k, v := range sub {
		c[k] = v
	}
	deletePath(c, path[1:])
	m[path[0]] = c
}
