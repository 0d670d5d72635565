package s3store

import (
	"fmt"
	"reflect"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	for _, st := range []*state{
		{fresh: true},
		{tailETag: `"d41d8cd98f00b204e9800998ecf8427e"`},
		{end: 17, tailETag: "opaque-etag"},
		{uploadID: "2~abc", end: 20 << 20, tailETag: `"0123456789abcdef0123456789abcdef"`, parts: []part{
			{`"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"`, 8 << 20},
			{`"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"`, 6 << 20}, // not lowercase: kept as text
			{`"e2e8c1f2a5a4d5c1b7b8d9e0f1a2b3c4-1"`, 5 << 20},
		}},
	} {
		got, err := decodeState(st.encode())
		if err != nil || !reflect.DeepEqual(got, normal(st)) {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", st, got, err)
		}
	}
}

// normal is st as decoding makes it: parts never nil.
func normal(st *state) *state {
	c := *st
	if c.parts == nil {
		c.parts = []part{}
	}
	return &c
}

func TestStateInvalid(t *testing.T) {
	good := (&state{uploadID: "u", end: 10 << 20, parts: []part{{`"x"`, 9 << 20}}}).encode()
	for name, b := range map[string][]byte{
		"nil":            nil,
		"version":        append([]byte{9}, good[1:]...),
		"short":          good[:len(good)-1],
		"long":           append(good, 0),
		"fresh, long":    {stateFresh, 0},
		"parts past end": (&state{uploadID: "u", end: 1, parts: []part{{"x", 2}}}).encode(),
		"parts, no id":   (&state{end: 5, parts: []part{{"x", 5}}}).encode(),
	} {
		if st, err := decodeState(b); err == nil {
			t.Errorf("%s: decoded %+v", name, st)
		}
	}
}

// A state of 10,000 parts with MD5 ETags stays near 21 bytes a part.
func TestStateSize(t *testing.T) {
	st := &state{uploadID: "an-upload-id", tailETag: `"0123456789abcdef0123456789abcdef"`}
	for i := range maxParts {
		st.parts = append(st.parts, part{fmt.Sprintf(`"%032x"`, i), 64 << 20})
		st.end += 64 << 20
	}
	b := st.encode()
	if len(b) > 22*maxParts {
		t.Fatalf("state of %d parts: %d bytes", maxParts, len(b))
	}
	if got, err := decodeState(b); err != nil || len(got.parts) != maxParts || got.end != st.end {
		t.Fatalf("decode: %d parts, %v", len(got.parts), err)
	}
}
