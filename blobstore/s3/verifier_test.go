package s3store

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/blobstore/blobstoretest"
	"github.com/opencontainers/go-digest"
)

// readAll reads v with buffers of bufLen bytes, as a transport would, and returns what it
// handed over and its error.
func readAll(v *verifier, bufLen int) ([]byte, error) {
	var out []byte
	buf := make([]byte, bufLen)
	for range 1 << 20 {
		n, err := v.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
	return out, io.ErrNoProgress
}

// The verifier hands over a right blob whole, and never the whole of a wrong one, whatever
// the read sizes on either side.
func TestVerifier(t *testing.T) {
	b := blobstoretest.Data(10_000, 1)
	d := digest.FromBytes(b)
	readers := map[string]func([]byte) io.Reader{
		"whole":    func(b []byte) io.Reader { return bytes.NewReader(b) },
		"one byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"data+EOF": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
		"half":     func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	}
	for name, r := range readers {
		for _, bufLen := range []int{1, 2, 7, 4096, 20_000} {
			for _, c := range []struct {
				name string
				d    digest.Digest
				size int64
				body []byte
				want error
			}{
				{"right", d, int64(len(b)), b, nil},
				{"right, size unknown", d, -1, b, nil},
				{"empty", digest.FromBytes(nil), 0, nil, nil},
				{"wrong digest", digest.FromString("x"), int64(len(b)), b, blobstore.ErrDigestMismatch},
				{"wrong digest, size unknown", digest.FromString("x"), -1, b, blobstore.ErrDigestMismatch},
				{"too short", d, int64(len(b)), b[:len(b)-1], blobstore.ErrSizeMismatch},
				{"too long", digest.FromBytes(b[:len(b)-1]), int64(len(b)) - 1, b, blobstore.ErrSizeMismatch},
				{"empty, too long", digest.FromBytes(nil), 0, b[:1], blobstore.ErrSizeMismatch},
			} {
				limit := len(c.body) // a failure hands over less than this
				if c.size >= 0 {
					limit = min(limit, int(c.size))
				}
				v := &verifier{r: r(c.body), d: c.d, h: c.d.Algorithm().Hash(), size: c.size}
				got, err := readAll(v, bufLen)
				switch {
				case !errors.Is(err, c.want) && !(c.want == nil && err == nil):
					t.Fatalf("%s, %s, buffers of %d: error %v, want %v", name, c.name, bufLen, err, c.want)
				case c.want == nil && (!bytes.Equal(got, c.body) || !v.done() || v.n != int64(len(c.body))):
					t.Fatalf("%s, %s, buffers of %d: handed over %d of %d bytes", name, c.name, bufLen, len(got), len(c.body))
				case c.want != nil && len(got) > 0 && len(got) >= limit:
					t.Fatalf("%s, %s, buffers of %d: handed over %d bytes before failing", name, c.name, bufLen, len(got))
				}
			}
		}
	}
}
