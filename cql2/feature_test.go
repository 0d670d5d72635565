package cql2

// feature is a Feature over a map, as a test writes one.
type feature map[string]any

func (f feature) Property(name string) (any, bool) {
	v, ok := f[name]
	return v, ok
}
