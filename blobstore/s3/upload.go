package s3store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/eopack/eopack/blobstore"
)

// session checks id and decodes state; either failing wraps blobstore.ErrUploadGone.
func (s *Store) session(id string, state []byte) (*state, error) {
	if !validID(id) {
		return nil, fmt.Errorf("upload %q: %w: %w", id, ErrInvalidID, blobstore.ErrUploadGone)
	}
	st, err := decodeState(state)
	if err != nil {
		return nil, gone(id, err.Error())
	}
	return st, nil
}

// StartUpload writes nothing: the session's first Append makes its first object, so a
// session completed without one (its blob sent whole in the final request) costs no request.
// A taken id is not looked for: that would cost one, and the registry's ids are random and
// unique in its metadata.
func (s *Store) StartUpload(ctx context.Context, id string) ([]byte, error) {
	if !validID(id) {
		return nil, fmt.Errorf("upload %q: %w", id, ErrInvalidID)
	}
	return (&state{fresh: true}).encode(), nil
}

// putTail writes the tail of session id that ends at end, and returns its ETag.
func (s *Store) putTail(ctx context.Context, id string, end int64, b []byte, exclusive bool) (string, error) {
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(s.tailKey(id, end)), Body: bytes.NewReader(b)}
	if exclusive {
		in.IfNoneMatch = aws.String("*")
	}
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// Append writes r at offset of session id. The tail (bytes after the last part) is read
// back into a part buffer, r's bytes follow; every full buffer becomes the next part, and
// what is left at the end is a part too if it holds half a part (at least 5 MiB), else the
// new tail, tail-<offset+n>. Nothing the given state names is changed, so on an error, or if
// the new state is never recorded, the session goes on from the old one; older tails are
// removed afterwards. An offset below the state's size (bytes never acknowledged) cuts the
// tail, or drops whole parts; one inside a part wraps blobstore.ErrUploadGone, as does an
// offset past the state's size.
func (s *Store) Append(ctx context.Context, id string, state []byte, offset int64, r io.Reader, hash io.Writer) (int64, []byte, error) {
	st, err := s.session(id, state)
	if err != nil {
		return 0, state, err
	}
	if offset < 0 || offset > st.end {
		return 0, state, gone(id, fmt.Sprintf("holds %d bytes, %d acknowledged", st.end, offset))
	}
	cut, keep, err := st.cut(id, offset)
	if err != nil {
		return 0, state, err
	}
	buf := getBuf(len(cut.parts) + 1)
	defer func() { putBuf(buf) }()
	switch {
	case keep > 0:
		err = s.readTail(ctx, id, st, keep, buf)
	case st.fresh:
		// nothing to check: a fresh session has no object yet
	default:
		// Nothing to read back: check that the session still exists.
		_, err = s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket,
			Key: aws.String(s.tailKey(id, st.end)), IfMatch: ifMatch(st.tailETag)})
		err = s.tailErr(id, err)
	}
	if err != nil {
		return 0, state, err
	}
	var n int64
	for {
		before := len(*buf)
		err := fill(r, buf)
		if hash != nil {
			hash.Write((*buf)[before:])
		}
		n += int64(len(*buf) - before)
		if err != nil {
			return 0, state, fmt.Errorf("upload %s: append at %d: %w", id, offset, err)
		}
		if len(*buf) < cap(*buf) {
			break
		}
		if err := s.addPart(ctx, id, cut, *buf); err != nil {
			return 0, state, err
		}
		putBuf(buf)
		buf = getBuf(len(cut.parts) + 1)
	}
	if n == 0 && offset == st.end && !st.fresh {
		return 0, state, nil
	}
	if len(*buf) > 0 && earlyPart(len(*buf), len(cut.parts)+1) {
		if err := s.addPart(ctx, id, cut, *buf); err != nil {
			return 0, state, err
		}
		*buf = (*buf)[:0]
	}
	cut.end = offset + n
	if cut.tailETag, err = s.putTail(ctx, id, cut.end, *buf, false); err != nil {
		return 0, state, fmt.Errorf("upload %s: %w", id, err)
	}
	// The caller has recorded state at offset, so older tails, and newer ones of Appends
	// never recorded, are garbage. Removing them is best effort: Commit and Abort remove
	// everything under the session's folder. A fresh session has no older tails; those of
	// Appends never recorded go with the session.
	if !st.fresh {
		s.dropTails(ctx, id, offset, cut.end)
	}
	return n, cut.encode(), nil
}

// cut is st cut to its first offset bytes (a copy), and how many bytes of st's tail it
// keeps.
func (st *state) cut(id string, offset int64) (*state, int64, error) {
	c := &state{uploadID: st.uploadID, end: offset, tailETag: st.tailETag}
	var start int64
	for _, p := range st.parts {
		if start+p.size > offset {
			break
		}
		c.parts = append(c.parts, p)
		start += p.size
	}
	if len(c.parts) < len(st.parts) {
		if start != offset {
			return nil, 0, gone(id, fmt.Sprintf("offset %d is inside part %d", offset, len(c.parts)+1))
		}
		return c, 0, nil
	}
	return c, offset - start, nil
}

// addPart uploads b as the next part of session st, creating its multipart upload first
// if it has none, and records it in st.
func (s *Store) addPart(ctx context.Context, id string, st *state, b []byte) error {
	key := s.dataKey(id)
	if st.uploadID == "" {
		out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &key})
		if err != nil {
			return fmt.Errorf("upload %s: %w", id, err)
		}
		st.uploadID = aws.ToString(out.UploadId)
	}
	etag, err := s.uploadPart(ctx, key, st.uploadID, len(st.parts)+1, b)
	if isNoUpload(err) {
		return gone(id, "multipart upload completed or aborted")
	}
	if err != nil {
		return fmt.Errorf("upload %s: part %d: %w", id, len(st.parts)+1, err)
	}
	st.parts = append(st.parts, part{etag: etag, size: int64(len(b))})
	return nil
}

// readTail reads the first n bytes of st's tail into buf, checking its ETag.
func (s *Store) readTail(ctx context.Context, id string, st *state, n int64, buf *[]byte) error {
	if n > int64(cap(*buf)-len(*buf)) {
		return gone(id, fmt.Sprintf("tail of %d bytes is larger than a part", n))
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.tailKey(id, st.end)),
		IfMatch: ifMatch(st.tailETag), Range: aws.String(fmt.Sprintf("bytes=0-%d", n-1))})
	if err != nil {
		return s.tailErr(id, err)
	}
	defer out.Body.Close()
	m, err := io.ReadFull(out.Body, (*buf)[len(*buf):len(*buf)+int(n)])
	*buf = (*buf)[:len(*buf)+m]
	if err != nil {
		return fmt.Errorf("upload %s: read tail: %w", id, err)
	}
	return nil
}

// ifMatch is etag as an If-Match condition; none for "" (a store that gave no ETag).
func ifMatch(etag string) *string {
	if etag == "" {
		return nil
	}
	return &etag
}

// tailErr maps an error reading a session's tail: missing or replaced wraps
// blobstore.ErrUploadGone.
func (s *Store) tailErr(id string, err error) error {
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return gone(id, "no tail")
	case isPrecondition(err):
		return gone(id, "tail replaced")
	}
	return fmt.Errorf("upload %s: tail: %w", id, err)
}

// dropTails removes session id's tails other than those ending at keep, best effort.
func (s *Store) dropTails(ctx context.Context, id string, keep ...int64) {
	dir := s.uploadDir(id)
	s.list(ctx, dir+"tail-", func(key string, _ int64, _ time.Time) error {
		end, err := strconv.ParseInt(strings.TrimPrefix(key, dir+"tail-"), 10, 64)
		if err == nil && !contains(keep, end) {
			s.deleteKey(ctx, key)
		}
		return nil
	})
}

func contains(xs []int64, x int64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// ReadUpload reads the first size bytes of session id: the tail object itself while the
// session has no parts, else its completed multipart upload (parts cannot be read before),
// which Commit then uses as it is. Bytes appended to such a session afterwards cannot be
// committed: Append (once it fills a part) or Commit wraps blobstore.ErrUploadGone.
func (s *Store) ReadUpload(ctx context.Context, id string, state []byte, size int64) (io.ReadCloser, error) {
	st, err := s.session(id, state)
	if err != nil {
		return nil, err
	}
	if size < 0 || size > st.end {
		return nil, gone(id, fmt.Sprintf("holds %d of %d bytes", st.end, size))
	}
	if st.fresh {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	key, etag, err := s.complete(ctx, id, st)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key, IfMatch: ifMatch(etag)})
		if err != nil {
			return nil, s.tailErr(id, err)
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key, IfMatch: ifMatch(etag),
		Range: aws.String(fmt.Sprintf("bytes=0-%d", size-1))})
	if err != nil {
		return nil, s.tailErr(id, err)
	}
	return out.Body, nil
}
