package probe

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"
	"io"

	"github.com/opencontainers/go-digest"
)

// gen is a deterministic byte stream: byte i depends only on (seed, i), so any slice of it
// can be regenerated and large blobs are streamed without ever being held in memory.
type gen struct {
	seed     uint64
	off, end int64
}

func newGen(seed uint64, off, size int64) *gen { return &gen{seed: seed, off: off, end: off + size} }

func (g *gen) Read(p []byte) (int, error) {
	if g.off >= g.end {
		return 0, io.EOF
	}
	n := int64(len(p))
	if rest := g.end - g.off; n > rest {
		n = rest
	}
	var word [8]byte
	for i := int64(0); i < n; {
		blk := (g.off + i) / 8
		binary.LittleEndian.PutUint64(word[:], splitmix(g.seed^uint64(blk)))
		j := (g.off + i) % 8
		c := int64(copy(p[i:n], word[j:]))
		i += c
	}
	g.off += n
	return int(n), nil
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// genBody is a request body of bytes [off, off+size) of the stream with seed.
func genBody(seed uint64, off, size int64) *payload {
	return &payload{size: size, open: func() io.Reader { return newGen(seed, off, size) }}
}

// genDigest streams the first size bytes of the stream through the algorithm's hash.
func genDigest(seed uint64, size int64, alg digest.Algorithm) digest.Digest {
	var h hash.Hash
	switch alg {
	case digest.SHA512:
		h = sha512.New()
	default:
		h = sha256.New()
	}
	_, _ = io.Copy(h, newGen(seed, 0, size))
	return digest.NewDigest(alg, h)
}

// seedFor derives a stream seed from the run and a label.
func (e *Env) seedFor(label string) uint64 {
	s := sha256.Sum256([]byte(e.RunID + label))
	return binary.LittleEndian.Uint64(s[:8])
}
