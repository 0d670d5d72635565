package cql2

import (
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of a filter so that hostile input cannot exhaust the stack.
const maxDepth = 200

// namedOps maps the upper-case spelling of every operator written as a function call in
// cql2-text to its cql2-json name.
var namedOps = func() map[string]string {
	m := map[string]string{}
	for _, op := range []string{"casei", "accenti",
		"s_intersects", "s_equals", "s_disjoint", "s_touches", "s_within", "s_overlaps", "s_crosses", "s_contains",
		"t_after", "t_before", "t_contains", "t_disjoint", "t_during", "t_equals", "t_finishedBy", "t_finishes",
		"t_intersects", "t_meets", "t_metBy", "t_overlappedBy", "t_overlaps", "t_startedBy", "t_starts",
		"a_equals", "a_contains", "a_containedBy", "a_overlaps"} {
		m[strings.ToUpper(op)] = op
	}
	return m
}()

// arrayOps take arrays as both arguments; in their argument list "(x)" is an array.
var arrayOps = map[string]bool{"a_equals": true, "a_contains": true, "a_containedBy": true, "a_overlaps": true}

// reserved words cannot be property names unless double-quoted.
var reserved = map[string]bool{"AND": true, "OR": true, "NOT": true, "LIKE": true, "BETWEEN": true,
	"IN": true, "IS": true, "NULL": true, "TRUE": true, "FALSE": true, "DIV": true}

var wktTypes = map[string]bool{"POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true,
	"MULTILINESTRING": true, "MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true}

var comparisons = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

type parser struct {
	lex   lexer
	tok   token
	depth int
}

// ParseText parses a cql2-text expression. Keywords are case-insensitive. Errors are one
// line naming the (1-based, in characters) position, e.g. "filter: position 17: expected ')'".
func ParseText(s string) (Expr, error) {
	p := &parser{lex: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, p.errorf("empty filter")
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errorf("unexpected %s", p.describe())
	}
	return e, nil
}

func (p *parser) advance() (err error) {
	p.tok, err = p.lex.next()
	return err
}

func (p *parser) errorf(format string, args ...any) error {
	return syntaxError(p.lex.src, p.tok.pos, format, args...)
}

// describe names the current token for an error message.
func (p *parser) describe() string {
	switch p.tok.kind {
	case tEOF:
		return "end of filter"
	case tString:
		return "string " + quoteString(p.tok.text)
	case tQuoted:
		return strconv.Quote(p.tok.text)
	}
	return "'" + p.tok.text + "'"
}

// keyword reports whether the current token is the bare word kw (upper-case).
func (p *parser) keyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) punct(s string) bool { return p.tok.kind == tPunct && p.tok.text == s }

func (p *parser) expect(s string) error {
	if !p.punct(s) {
		return p.errorf("expected '%s', found %s", s, p.describe())
	}
	return p.advance()
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("filter nested too deeply")
	}
	return nil
}

// skipThen moves past the current token and reads what follows with read, one level deeper.
func (p *parser) skipThen(read func() (Expr, error)) (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if err := p.advance(); err != nil {
		return nil, err
	}
	return read()
}

func (p *parser) parseOr() (Expr, error) {
	return p.parseChain("OR", "or", p.parseAnd)
}

func (p *parser) parseAnd() (Expr, error) {
	return p.parseChain("AND", "and", p.parseNot)
}

// parseChain reads operand {kw operand} into one n-ary op.
func (p *parser) parseChain(kw, op string, operand func() (Expr, error)) (Expr, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	if !p.keyword(kw) {
		return first, nil
	}
	args := []Expr{first}
	for p.keyword(kw) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := operand()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	return Op{Op: op, Args: args}, nil
}

func (p *parser) parseNot() (Expr, error) {
	if !p.keyword("NOT") {
		return p.parsePredicate()
	}
	e, err := p.skipThen(p.parseNot)
	if err != nil {
		return nil, err
	}
	return Op{Op: "not", Args: []Expr{e}}, nil
}

// parsePredicate reads a scalar expression and the comparison, LIKE, BETWEEN, IN or IS NULL
// that may follow it.
func (p *parser) parsePredicate() (Expr, error) {
	left, err := p.parseAdditive()
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tPunct && comparisons[p.tok.text] {
		op := p.tok.text
		right, err := p.skipThen(p.parseAdditive)
		if err != nil {
			return nil, err
		}
		return Op{Op: op, Args: []Expr{left, right}}, nil
	}
	if p.keyword("IS") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		negate := p.keyword("NOT")
		if negate {
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if !p.keyword("NULL") {
			return nil, p.errorf("expected NULL, found %s", p.describe())
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		return not(negate, Op{Op: "isNull", Args: []Expr{left}}), nil
	}
	negate := p.keyword("NOT")
	if negate {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.keyword("LIKE") && !p.keyword("BETWEEN") && !p.keyword("IN") {
			return nil, p.errorf("expected LIKE, BETWEEN or IN after NOT, found %s", p.describe())
		}
	}
	var e Expr
	switch {
	case p.keyword("LIKE"):
		pattern, err := p.skipThen(p.parseAdditive)
		if err != nil {
			return nil, err
		}
		e = Op{Op: "like", Args: []Expr{left, pattern}}
	case p.keyword("BETWEEN"):
		lo, err := p.skipThen(p.parseAdditive)
		if err != nil {
			return nil, err
		}
		if !p.keyword("AND") {
			return nil, p.errorf("expected AND, found %s", p.describe())
		}
		hi, err := p.skipThen(p.parseAdditive)
		if err != nil {
			return nil, err
		}
		e = Op{Op: "between", Args: []Expr{left, lo, hi}}
	case p.keyword("IN"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.punct("(") && !p.punct("[") {
			return nil, p.errorf("expected '(' after IN, found %s", p.describe())
		}
		list, err := p.parseArray()
		if err != nil {
			return nil, err
		}
		e = Op{Op: "in", Args: []Expr{left, list}}
	default:
		return left, nil
	}
	return not(negate, e), nil
}

func not(negate bool, e Expr) Expr {
	if negate {
		return Op{Op: "not", Args: []Expr{e}}
	}
	return e
}

func (p *parser) parseAdditive() (Expr, error) {
	return p.parseBinary([]string{"+", "-"}, p.parseMultiplicative)
}

func (p *parser) parseMultiplicative() (Expr, error) {
	return p.parseBinary([]string{"*", "/", "%", "div"}, p.parsePower)
}

// parseBinary reads operand {op operand}, left-associative.
func (p *parser) parseBinary(ops []string, operand func() (Expr, error)) (Expr, error) {
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		op := p.binaryOp(ops)
		if op == "" {
			return left, nil
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = Op{Op: op, Args: []Expr{left, right}}
	}
}

// binaryOp returns the operator among ops that the current token is, or "".
func (p *parser) binaryOp(ops []string) string {
	for _, op := range ops {
		if p.punct(op) || op == "div" && p.keyword("DIV") {
			return op
		}
	}
	return ""
}

// parsePower reads operand [^ power]: exponentiation binds right to left.
func (p *parser) parsePower() (Expr, error) {
	left, err := p.parseUnary()
	if err != nil || !p.punct("^") {
		return left, err
	}
	right, err := p.skipThen(p.parsePower)
	if err != nil {
		return nil, err
	}
	return Op{Op: "^", Args: []Expr{left, right}}, nil
}

// parseUnary reads a signed operand: -number is a negative literal, -x is -1 * x.
func (p *parser) parseUnary() (Expr, error) {
	if !p.punct("-") && !p.punct("+") {
		return p.parsePrimary()
	}
	minus := p.tok.text == "-"
	e, err := p.skipThen(p.parseUnary)
	if err != nil {
		return nil, err
	}
	if !minus {
		if _, ok := e.(float64); !ok {
			return nil, p.errorf("unary '+' applies to numbers only")
		}
		return e, nil
	}
	if f, ok := e.(float64); ok {
		return -f, nil
	}
	return Op{Op: "*", Args: []Expr{-1.0, e}}, nil
}

func (p *parser) parsePrimary() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.tok
	switch t.kind {
	case tEOF:
		return nil, p.errorf("unexpected end of filter")
	case tString:
		return t.text, p.advance()
	case tQuoted:
		return Property{Name: t.text}, p.advance()
	case tNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.errorf("number %s out of range", t.text)
		}
		return f, p.advance()
	case tPunct:
		if t.text == "[" {
			return p.parseArray()
		}
		if t.text == "(" {
			return p.parseGroup()
		}
		return nil, p.errorf("unexpected %s", p.describe())
	}
	return p.parseWord()
}

// parseGroup reads "(e)" as e, and "()" or "(a, b, …)" as an array.
func (p *parser) parseGroup() (Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.punct(")") {
		return []Expr{}, p.advance()
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if !p.punct(",") {
		return e, p.expect(")")
	}
	arr := []Expr{e}
	for p.punct(",") {
		e, err := p.skipThen(p.parseOr)
		if err != nil {
			return nil, err
		}
		arr = append(arr, e)
	}
	return arr, p.expect(")")
}

// parseArray reads "(…)" or "[…]" as an array of any length.
func (p *parser) parseArray() (Expr, error) {
	closing := ")"
	if p.tok.text == "[" {
		closing = "]"
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return p.list(closing, p.parseOr)
}

// list reads elements separated by commas up to closing, the opening token already read;
// the list may be empty.
func (p *parser) list(closing string, read func() (Expr, error)) ([]Expr, error) {
	out := []Expr{}
	if p.punct(closing) {
		return out, p.advance()
	}
	for {
		e, err := read()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if !p.punct(",") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	return out, p.expect(closing)
}

// parseWord reads what starts with a bare word: a boolean, a typed literal, a geometry, a
// function call or a property name.
func (p *parser) parseWord() (Expr, error) {
	t := p.tok
	up := strings.ToUpper(t.text)
	switch {
	case up == "TRUE" || up == "FALSE":
		return up == "TRUE", p.advance()
	case reserved[up]:
		return nil, p.errorf("unexpected %s", up)
	case wktTypes[up] && p.lex.atWKTBody():
		return p.parseWKT()
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !p.punct("(") {
		return Property{Name: t.text}, nil
	}
	switch up {
	case "TIMESTAMP", "DATE":
		return p.parseInstantCall(up)
	case "INTERVAL":
		return p.parseInterval()
	case "BBOX":
		return p.parseBBox()
	}
	name, known := namedOps[up]
	if !known {
		name = t.text
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	args, err := p.list(")", func() (Expr, error) {
		if arrayOps[name] && (p.punct("(") || p.punct("[")) {
			return p.parseArray()
		}
		return p.parseOr()
	})
	if err != nil {
		return nil, err
	}
	op := Op{Op: name, Args: args}
	if known {
		if err := checkArity(op); err != nil {
			return nil, syntaxError(p.lex.src, t.pos, "%v", err)
		}
	}
	return op, nil
}
