package s3store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/eopack/eopack/blobstore"
	"github.com/opencontainers/go-digest"
)

// Put stores r as blob d, straight under its key, with a conditional write (If-None-Match:
// *). A sha256 blob of known size up to 5 GiB is one streamed PutObject whose signed payload
// hash is d itself, so the server refuses a body that is not d, even one cut short by a
// failed request (some servers store such a body as it came). Its body also checks the
// digest and the size before it hands over the last bytes, and on a mismatch fails, which
// aborts the request. Any other blob is buffered a part at a time (putBuffered). A blob that
// exists, written and verified before, is kept, and r is still read to its end and verified.
func (s *Store) Put(ctx context.Context, d digest.Digest, size int64, r io.Reader) (int64, error) {
	key, err := s.blobKey(d)
	if err != nil {
		return 0, err
	}
	v := &verifier{r: r, d: d, h: d.Algorithm().Hash(), size: size}
	if size < 0 || size > s.maxPut || d.Algorithm() != digest.SHA256 {
		return v.n, s.putBuffered(ctx, key, v)
	}
	var body io.Reader = v
	if size == 0 {
		// The SDK reads no body of length 0: check r (a Read that completes it) first.
		if _, err := v.Read(make([]byte, 1)); err != nil {
			return v.n, err
		}
		body = bytes.NewReader(nil)
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &key, Body: body, ContentLength: aws.Int64(size), IfNoneMatch: aws.String("*"),
	}, s3.WithAPIOptions(payloadHash(d.Encoded())))
	return v.n, s.putDone(ctx, key, v, err)
}

// putDone is the outcome of a Put at key whose request returned err: the body's own failure
// first, whatever the SDK made of it. A blob that exists (412, or found after a request
// broken off by the server's early answer) is success once r is read to its end and
// verified.
func (s *Store) putDone(ctx context.Context, key string, v *verifier, err error) error {
	switch {
	case v.err != nil:
		return v.err
	case err == nil && v.done():
		return nil
	case err == nil:
		return fmt.Errorf("put %s: request ended before the body", v.d)
	}
	if !isPrecondition(err) {
		if _, herr := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key}); herr != nil {
			return fmt.Errorf("put %s: %w", v.d, err)
		}
	}
	_, err = io.Copy(io.Discard, v)
	return err
}

// payloadHash is an API option that signs a request with the given payload hash (hex
// SHA-256 of the body) rather than computing it, or sending none over TLS.
func payloadHash(hash string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("PresetPayloadHash",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(v4.SetPayloadHash(ctx, hash), in)
			}), middleware.After)
	}
}

// putBuffered stores the blob v reads at key a part at a time, each part signed with its
// SHA-256. A blob smaller than a part is one PutObject of the verified bytes; a larger one is
// a multipart upload that holds back its last part until v has checked the blob and is
// completed only then.
func (s *Store) putBuffered(ctx context.Context, key string, v *verifier) error {
	pending := getBuf(1)
	defer func() { putBuf(pending) }()
	if err := fill(v, pending); err != nil {
		return err
	}
	if len(*pending) < cap(*pending) {
		sum := sha256.Sum256(*pending)
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(*pending), IfNoneMatch: aws.String("*"),
		}, s3.WithAPIOptions(payloadHash(hex.EncodeToString(sum[:]))))
		return s.putDone(ctx, key, v, err)
	}
	mpu, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return fmt.Errorf("put %s: %w", v.d, err)
	}
	completed := false
	defer func() {
		if !completed {
			s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
				Bucket: &s.bucket, Key: &key, UploadId: mpu.UploadId})
		}
	}()
	var parts []types.CompletedPart
	upload := func(b []byte) error {
		etag, err := s.uploadPart(ctx, key, *mpu.UploadId, len(parts)+1, b)
		if err != nil {
			return fmt.Errorf("put %s: %w", v.d, err)
		}
		parts = append(parts, types.CompletedPart{ETag: &etag, PartNumber: aws.Int32(int32(len(parts) + 1))})
		return nil
	}
	for {
		// pending is the last part unless more bytes follow, so it waits for the next read.
		next := getBuf(len(parts) + 2)
		err := fill(v, next)
		if err != nil || len(*next) == 0 {
			putBuf(next)
			if err != nil {
				return err
			}
			break // v is at its end, checked
		}
		if err := upload(*pending); err != nil {
			putBuf(next)
			return err
		}
		putBuf(pending)
		pending = next
	}
	if err := upload(*pending); err != nil {
		return err
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &key, UploadId: mpu.UploadId, IfNoneMatch: aws.String("*"),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err == nil {
		completed = true
	}
	return s.putDone(ctx, key, v, err)
}

// uploadPart uploads b as part number n of upload id at key and returns its ETag.
func (s *Store) uploadPart(ctx context.Context, key, id string, n int, b []byte) (string, error) {
	if n > maxParts {
		return "", fmt.Errorf("more than %d parts", maxParts)
	}
	out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: &s.bucket, Key: &key, UploadId: &id, PartNumber: aws.Int32(int32(n)),
		Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b))),
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// fill reads from r into the free capacity of b until b is full or r ends (nil error).
func fill(r io.Reader, b *[]byte) error {
	n, err := io.ReadFull(r, (*b)[len(*b):cap(*b)])
	*b = (*b)[:len(*b)+n]
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil
	}
	return err
}

// verifier reads a blob from r while hashing it, and always keeps the last byte it has read
// back until it knows whether more follow. The Read that completes the blob (reaches size,
// or meets the end of r) checks the digest, and with a known size that r holds no more,
// before it hands over the last bytes: a failed check is returned (and kept in err) instead.
// So a failed blob never reaches the server whole, not even one whose r ends early.
type verifier struct {
	r       io.Reader
	d       digest.Digest
	h       hash.Hash
	size    int64 // < 0: unknown
	n       int64 // bytes read from r
	err     error
	checked bool // the blob is verified; what is held goes out, then io.EOF
	held    byte
	holding bool
}

// done reports whether every byte is verified and handed over.
func (v *verifier) done() bool { return v.checked && !v.holding }

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil || len(p) == 0 {
		return 0, v.err
	}
	if v.checked {
		if !v.holding {
			return 0, io.EOF
		}
		p[0], v.holding = v.held, false
		return 1, nil
	}
	out := 0
	if v.holding {
		p[0], out = v.held, 1
	}
	// Read after the held byte; with no room there, into a spare byte.
	var spare [1]byte
	room, useSpare := p[out:], out == len(p)
	if useSpare {
		room = spare[:]
	}
	if v.size >= 0 && int64(len(room)) > v.size-v.n {
		room = room[:v.size-v.n]
	}
	var m int
	var err error
	if len(room) > 0 {
		m, err = v.r.Read(room)
		v.h.Write(room[:m])
		v.n += int64(m)
	}
	eof := errors.Is(err, io.EOF)
	if err != nil && !eof {
		v.err = fmt.Errorf("put %s: %w", v.d, err)
		return 0, v.err
	}
	if eof || v.size >= 0 && v.n == v.size {
		if v.err = v.check(eof); v.err != nil {
			return 0, v.err
		}
		v.checked = true
		v.holding = useSpare && m == 1
		v.held = spare[0]
		if useSpare {
			return out, nil
		}
		return out + m, nil
	}
	switch {
	case useSpare && m == 1:
		v.held = spare[0]
		return out, nil
	case useSpare || out+m == 0:
		return 0, nil // nothing new: the held byte stays held
	}
	v.held, v.holding = p[out+m-1], true
	return out + m - 1, nil
}

// check verifies size and digest once the blob's bytes are read; atEOF: r said so.
func (v *verifier) check(atEOF bool) error {
	if v.size >= 0 && v.n < v.size {
		return fmt.Errorf("put %s: %d bytes, expected %d: %w", v.d, v.n, v.size, blobstore.ErrSizeMismatch)
	}
	for tries := 0; !atEOF; tries++ {
		if tries == 100 {
			return fmt.Errorf("put %s: %w", v.d, io.ErrNoProgress)
		}
		var one [1]byte
		n, err := v.r.Read(one[:])
		if n > 0 {
			return fmt.Errorf("put %s: more than %d bytes: %w", v.d, v.size, blobstore.ErrSizeMismatch)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("put %s: %w", v.d, err)
		}
	}
	return blobstore.Check(v.d, -1, v.n, v.h) // the size is checked above
}
