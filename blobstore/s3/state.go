package s3store

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync"
)

// Part sizes. S3 allows 10,000 parts per upload, each at least 5 MiB except the last. Parts
// are 8 MiB for the first thousand, then double every thousand up to 64 MiB: 10,000 full
// parts hold 492 GiB. A part may also be cut at the end of an Append once it holds half its
// size (and at least 5 MiB), so 10,000 parts hold at least 247 GiB whatever the Appends.
const (
	minPart       = 5 << 20
	basePart      = 8 << 20
	partsPerClass = 1000
	partClasses   = 4
	maxParts      = 10000
)

// partSize is the buffer size for part number n (1-based).
func partSize(n int) int { return basePart << partClass(n) }

func partClass(n int) int { return min((n-1)/partsPerClass, partClasses-1) }

// earlyPart reports whether a buffer of n bytes for part number num is large enough to be
// uploaded as a part at the end of an Append rather than kept as the tail.
func earlyPart(n, num int) bool { return n >= max(minPart, partSize(num)/2) }

// pools hold the part buffers, one pool per size.
var pools [partClasses]sync.Pool

// getBuf is an empty buffer with the capacity of part number n.
func getBuf(n int) *[]byte {
	c := partClass(n)
	if b, ok := pools[c].Get().(*[]byte); ok {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, basePart<<c)
	return &b
}

func putBuf(b *[]byte) {
	for c := range partClasses {
		if cap(*b) == basePart<<c {
			pools[c].Put(b)
			return
		}
	}
}

// state is an upload session as its encoded state describes it: the bytes [0, end) are the
// parts, in order, followed by the tail object tail-<end>.
type state struct {
	fresh    bool   // started, never appended to: the session has no objects yet
	uploadID string // "" until the first part
	parts    []part // part number i+1 is parts[i]
	end      int64  // the session's size
	tailETag string
}

type part struct {
	etag string
	size int64
}

// partsSize is where the tail starts.
func (st *state) partsSize() int64 {
	var n int64
	for _, p := range st.parts {
		n += p.size
	}
	return n
}

const (
	stateVersion = 1
	stateFresh   = 2 // the whole state of a fresh session
)

var errState = errors.New("not a state of this store")

// encode is the state in binary: a version byte, then the upload id, end, tail ETag, and
// the parts (ETag, size). An ETag that is a quoted MD5 (most stores) takes 17 bytes. A
// fresh session's state is the one byte stateFresh.
func (st *state) encode() []byte {
	if st.fresh {
		return []byte{stateFresh}
	}
	b := []byte{stateVersion}
	b = binary.AppendUvarint(b, uint64(len(st.uploadID)))
	b = append(b, st.uploadID...)
	b = binary.AppendUvarint(b, uint64(st.end))
	b = appendETag(b, st.tailETag)
	b = binary.AppendUvarint(b, uint64(len(st.parts)))
	for _, p := range st.parts {
		b = appendETag(b, p.etag)
		b = binary.AppendUvarint(b, uint64(p.size))
	}
	return b
}

func decodeState(b []byte) (*state, error) {
	if len(b) == 1 && b[0] == stateFresh {
		return &state{fresh: true, parts: []part{}}, nil
	}
	if len(b) == 0 || b[0] != stateVersion {
		return nil, errState
	}
	d := decoder{b: b[1:]}
	st := &state{}
	st.uploadID = string(d.bytes(d.uvarint()))
	st.end = int64(d.uvarint())
	st.tailETag = d.etag()
	n := d.uvarint()
	if n > maxParts {
		return nil, errState
	}
	st.parts = make([]part, n)
	for i := range st.parts {
		st.parts[i].etag = d.etag()
		st.parts[i].size = int64(d.uvarint())
	}
	if d.bad || len(d.b) != 0 || st.end < 0 || st.partsSize() > st.end || (n > 0 && st.uploadID == "") {
		return nil, errState
	}
	return st, nil
}

// appendETag appends an ETag: 0 and 16 bytes for a quoted MD5 in lowercase hex, otherwise
// 1, the length and the bytes.
func appendETag(b []byte, etag string) []byte {
	if len(etag) == 34 && etag[0] == '"' && etag[33] == '"' {
		if md5, err := hex.DecodeString(etag[1:33]); err == nil && hex.EncodeToString(md5) == etag[1:33] {
			return append(append(b, 0), md5...)
		}
	}
	b = append(b, 1)
	b = binary.AppendUvarint(b, uint64(len(etag)))
	return append(b, etag...)
}

// decoder reads a state; a short or malformed state sets bad.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > 1<<62 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.bad = true
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) etag() string {
	switch kind := d.bytes(1); {
	case len(kind) == 0:
		return ""
	case kind[0] == 0:
		return `"` + hex.EncodeToString(d.bytes(16)) + `"`
	case kind[0] == 1:
		return string(d.bytes(d.uvarint()))
	}
	d.bad = true
	return ""
}
