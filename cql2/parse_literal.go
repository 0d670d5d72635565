package cql2

import (
	"regexp"
	"strings"

	"github.com/peterstace/simplefeatures/geom"
)

// parseWKT reads a WKT geometry starting at the current (type) token.
func (p *parser) parseWKT() (Expr, error) {
	start := p.tok.pos
	end, err := p.lex.skipWKTBody()
	if err != nil {
		return nil, err
	}
	g, err := unmarshalWKT(p.lex.src[start:end])
	if err != nil {
		return nil, syntaxError(p.lex.src, start, "invalid geometry: %s", oneLine(err))
	}
	return Geometry{G: g}, p.advance()
}

// untaggedZ finds the geometry types of a WKT string, to tag them Z when its coordinates
// have three numbers without saying so (CQL2 allows that, WKT does not).
var untaggedZ = regexp.MustCompile(`(?i)(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)\s*\(`)

// unmarshalWKT reads a WKT geometry without validating it: a filter may use a
// self-intersecting polygon, as the spec's own examples do.
func unmarshalWKT(wkt string) (geom.Geometry, error) {
	g, err := geom.UnmarshalWKT(wkt, geom.NoValidate{})
	if err == nil {
		return g, nil
	}
	if g, err2 := geom.UnmarshalWKT(untaggedZ.ReplaceAllString(wkt, "$1 Z ("), geom.NoValidate{}); err2 == nil {
		return g, nil
	}
	return g, err
}

// parseInstantCall reads TIMESTAMP('…') or DATE('…'); the current token is '('.
func (p *parser) parseInstantCall(kind string) (Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tString {
		return nil, p.errorf("expected a quoted %s, found %s", strings.ToLower(kind), p.describe())
	}
	var e Expr
	var err error
	if kind == "DATE" {
		e, err = parseDate(p.tok.text)
	} else {
		e, err = parseTimestamp(p.tok.text)
	}
	if err != nil {
		return nil, p.errorf("%v", err)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return e, p.expect(")")
}

// parseInterval reads INTERVAL(a, b); the current token is '('.
func (p *parser) parseInterval() (Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	var bounds [2]Expr
	for i := range bounds {
		if i == 1 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		switch {
		case p.tok.kind == tString:
			b, err := parseBound(p.tok.text)
			if err != nil {
				return nil, p.errorf("%v", err)
			}
			bounds[i] = b
			if err := p.advance(); err != nil {
				return nil, err
			}
		case p.tok.kind == tQuoted || p.tok.kind == tIdent:
			e, err := p.parsePrimary()
			if err != nil {
				return nil, err
			}
			switch e.(type) {
			case Timestamp, Date, Property:
			default:
				return nil, p.errorf("an interval's bounds are dates, timestamps, '..' or properties")
			}
			bounds[i] = e
		default:
			return nil, p.errorf("expected a date, a timestamp, '..' or a property, found %s", p.describe())
		}
	}
	return Interval{Start: bounds[0], End: bounds[1]}, p.expect(")")
}

// parseBBox reads BBOX(w, s, e, n) or BBOX(w, s, zmin, e, n, zmax); the current token is '('.
func (p *parser) parseBBox() (Expr, error) {
	pos := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	nums, err := p.list(")", func() (Expr, error) {
		pos := p.tok.pos
		e, err := p.parseUnary()
		if _, ok := e.(float64); err == nil && !ok {
			return nil, syntaxError(p.lex.src, pos, "BBOX takes numbers")
		}
		return e, err
	})
	if err != nil {
		return nil, err
	}
	b := make(BBox, len(nums))
	for i, n := range nums {
		b[i] = n.(float64)
	}
	if err := checkBBox(b); err != nil {
		return nil, syntaxError(p.lex.src, pos, "%v", err)
	}
	return b, nil
}
