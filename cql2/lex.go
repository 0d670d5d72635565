package cql2

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token kinds of cql2-text.
const (
	tEOF    = iota
	tIdent  // a bare identifier or keyword; text is as written
	tQuoted // a double-quoted identifier; text is unquoted
	tString // a '…' string; text is unescaped
	tNumber // an unsigned number; text is as written
	tPunct  // ( ) [ ] , = <> < <= > >= + - * / % ^
)

type token struct {
	kind int
	text string
	pos  int // byte offset in the source
}

// lexer splits cql2-text into tokens on demand.
type lexer struct {
	src string
	off int
}

// syntaxError is the one-line error of a parse failure at byte offset off of src.
func syntaxError(src string, off int, format string, args ...any) error {
	if off > len(src) {
		off = len(src)
	}
	return fmt.Errorf("filter: position %d: %s", utf8.RuneCountInString(src[:off])+1, fmt.Sprintf(format, args...))
}

func isIdentStart(r rune) bool {
	return r == ':' || r == '_' || unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	return isIdentStart(r) || r == '.' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '\u203F' || r == '\u2040'
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// next returns the next token.
func (l *lexer) next() (token, error) {
	for l.off < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.off:])
		if !unicode.IsSpace(r) {
			break
		}
		l.off += n
	}
	start := l.off
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[l.off]
	switch {
	case c == '\'':
		return l.quoted('\'', tString)
	case c == '"':
		return l.quoted('"', tQuoted)
	case isDigit(c) || c == '.' && l.off+1 < len(l.src) && isDigit(l.src[l.off+1]):
		return l.number()
	case strings.ContainsRune("()[],=+-*/%^", rune(c)):
		l.off++
		return token{kind: tPunct, text: string(c), pos: start}, nil
	case c == '<' || c == '>':
		l.off++
		if l.off < len(l.src) && (l.src[l.off] == '=' || c == '<' && l.src[l.off] == '>') {
			l.off++
		}
		return token{kind: tPunct, text: l.src[start:l.off], pos: start}, nil
	}
	r, n := utf8.DecodeRuneInString(l.src[l.off:])
	if r == utf8.RuneError && n == 1 {
		return token{}, syntaxError(l.src, start, "invalid UTF-8")
	}
	if !isIdentStart(r) {
		return token{}, syntaxError(l.src, start, "unexpected %q", r)
	}
	for l.off < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[l.off:])
		if !isIdentPart(r) {
			break
		}
		l.off += n
	}
	return token{kind: tIdent, text: l.src[start:l.off], pos: start}, nil
}

// quoted reads a string or quoted identifier; a doubled quote stands for itself.
func (l *lexer) quoted(q byte, kind int) (token, error) {
	start := l.off
	l.off++
	var b strings.Builder
	for {
		i := strings.IndexByte(l.src[l.off:], q)
		if i < 0 {
			l.off = len(l.src)
			if kind == tString {
				return token{}, syntaxError(l.src, start, "unterminated string")
			}
			return token{}, syntaxError(l.src, start, "unterminated quoted identifier")
		}
		b.WriteString(l.src[l.off : l.off+i])
		l.off += i + 1
		if l.off < len(l.src) && l.src[l.off] == q {
			b.WriteByte(q)
			l.off++
			continue
		}
		s := b.String()
		if !utf8.ValidString(s) {
			return token{}, syntaxError(l.src, start, "invalid UTF-8")
		}
		return token{kind: kind, text: s, pos: start}, nil
	}
}

// number reads digits [. digits] [e [+-] digits], or . digits [e …].
func (l *lexer) number() (token, error) {
	start := l.off
	digits := func() int {
		s := l.off
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.off++
		}
		return l.off - s
	}
	digits()
	if l.off < len(l.src) && l.src[l.off] == '.' {
		l.off++
		digits()
	}
	if l.off < len(l.src) && (l.src[l.off] == 'e' || l.src[l.off] == 'E') {
		l.off++
		if l.off < len(l.src) && (l.src[l.off] == '+' || l.src[l.off] == '-') {
			l.off++
		}
		if digits() == 0 {
			return token{}, syntaxError(l.src, start, "malformed number %q", l.src[start:l.off])
		}
	}
	if l.off < len(l.src) {
		if r, _ := utf8.DecodeRuneInString(l.src[l.off:]); isIdentStart(r) {
			return token{}, syntaxError(l.src, start, "malformed number %q", l.src[start:l.off+1])
		}
	}
	return token{kind: tNumber, text: l.src[start:l.off], pos: start}, nil
}

// skipSpace returns the offset of the first non-space at or after off.
func (l *lexer) skipSpace(off int) int {
	for off < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[off:])
		if !unicode.IsSpace(r) {
			break
		}
		off += n
	}
	return off
}

// word returns the identifier at off and the offset after it.
func (l *lexer) word(off int) (string, int) {
	end := off
	for end < len(l.src) {
		r, n := utf8.DecodeRuneInString(l.src[end:])
		if !isIdentPart(r) {
			break
		}
		end += n
	}
	return l.src[off:end], end
}

// atWKTBody reports whether what follows the current offset is the body of a WKT geometry
// (after its type word): "(", "EMPTY", or a Z/M/ZM dimension.
func (l *lexer) atWKTBody() bool {
	off := l.skipSpace(l.off)
	if off < len(l.src) && l.src[off] == '(' {
		return true
	}
	w, _ := l.word(off)
	switch strings.ToUpper(w) {
	case "Z", "M", "ZM", "EMPTY":
		return true
	}
	return false
}

// skipWKTBody moves past the body of a WKT geometry and returns the offset of its end.
func (l *lexer) skipWKTBody() (int, error) {
	off := l.skipSpace(l.off)
	w, end := l.word(off)
	switch strings.ToUpper(w) {
	case "Z", "M", "ZM":
		off = l.skipSpace(end)
		w, end = l.word(off)
	}
	if strings.EqualFold(w, "EMPTY") {
		l.off = end
		return end, nil
	}
	if off >= len(l.src) || l.src[off] != '(' {
		return 0, syntaxError(l.src, off, "expected '(' in geometry")
	}
	depth := 0
	for i := off; i < len(l.src); i++ {
		switch l.src[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.off = i + 1
				return l.off, nil
			}
		case '\'', '"':
			return 0, syntaxError(l.src, i, "unexpected quote in geometry")
		}
	}
	return 0, syntaxError(l.src, len(l.src), "unterminated geometry")
}
