package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/eopack/eopack/blobstore"
	"github.com/opencontainers/go-digest"
)

// Stat describes blob d (HeadObject); missing (or an invalid digest) wraps
// blobstore.ErrNotFound.
func (s *Store) Stat(ctx context.Context, d digest.Digest) (blobstore.Info, error) {
	key, err := s.blobKey(d)
	if err != nil {
		return blobstore.Info{}, fmt.Errorf("%w: %w", err, blobstore.ErrNotFound)
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return blobstore.Info{}, notFound(d, err)
	}
	return blobstore.Info{Digest: d, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

// Open opens blob d. The reader issues a ranged GetObject from its offset at the first Read
// after a Seek, so seeking (to learn the size, to a Range's start) costs no request.
func (s *Store) Open(ctx context.Context, d digest.Digest) (io.ReadSeekCloser, blobstore.Info, error) {
	info, err := s.Stat(ctx, d)
	if err != nil {
		return nil, info, err
	}
	key, _ := s.blobKey(d)
	return &reader{ctx: ctx, s: s, d: d, key: key, size: info.Size}, info, nil
}

// reader reads an object of known size with ranged GETs.
type reader struct {
	ctx       context.Context
	s         *Store
	d         digest.Digest
	key       string
	size, off int64
	body      io.ReadCloser // nil until the first Read at off
}

func (r *reader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if r.body == nil {
		out, err := r.s.client.GetObject(r.ctx, &s3.GetObjectInput{Bucket: &r.s.bucket, Key: &r.key,
			Range: aws.String(fmt.Sprintf("bytes=%d-", r.off))})
		if err != nil {
			return 0, notFound(r.d, err)
		}
		r.body = out.Body
	}
	n, err := r.body.Read(p)
	r.off += int64(n)
	if err == io.EOF {
		r.body.Close()
		r.body = nil
		if r.off < r.size {
			return n, fmt.Errorf("%s: object ended at %d of %d bytes: %w", r.d, r.off, r.size, io.ErrUnexpectedEOF)
		}
		err = nil
	}
	return n, err
}

func (r *reader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	}
	if offset < 0 {
		return r.off, errors.New("seek before the start")
	}
	if offset != r.off && r.body != nil {
		r.body.Close()
		r.body = nil
	}
	r.off = offset
	return offset, nil
}

func (r *reader) Close() error {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
	return nil
}

// Delete removes blob d; missing is not an error.
func (s *Store) Delete(ctx context.Context, d digest.Digest) error {
	key, err := s.blobKey(d)
	if err != nil {
		return err
	}
	if err := s.deleteKey(ctx, key); err != nil {
		return fmt.Errorf("delete %s: %w", d, err)
	}
	return nil
}

// deleteKey removes key; missing is not an error.
func (s *Store) deleteKey(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

// Walk calls fn for every blob under blobs/, a page of the listing at a time, skipping
// keys that are not a digest in its right fan-out folder. An error from fn stops the walk
// and is returned.
func (s *Store) Walk(ctx context.Context, fn func(blobstore.Info) error) error {
	dir := s.prefix + "blobs/"
	return s.list(ctx, dir, func(key string, size int64, mod time.Time) error {
		alg, rest, _ := strings.Cut(strings.TrimPrefix(key, dir), "/")
		fan, enc, _ := strings.Cut(rest, "/")
		d := digest.NewDigestFromEncoded(digest.Algorithm(alg), enc)
		if d.Validate() != nil || len(fan) != 2 || enc[:2] != fan {
			return nil
		}
		return fn(blobstore.Info{Digest: d, Size: size, ModTime: mod})
	})
}

// list calls fn for every object under prefix, in key order, one page at a time.
func (s *Store) list(ctx context.Context, prefix string, fn func(key string, size int64, mod time.Time) error) error {
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			if err := fn(aws.ToString(o.Key), aws.ToInt64(o.Size), aws.ToTime(o.LastModified)); err != nil {
				return err
			}
		}
	}
	return nil
}

// BlobURL is a presigned GET of blob d valid for ttl (blobstore.Redirector). It does not
// check that d exists.
func (s *Store) BlobURL(ctx context.Context, d digest.Digest, ttl time.Duration) (string, error) {
	key, err := s.blobKey(d)
	if err != nil {
		return "", err
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", d, err)
	}
	return req.URL, nil
}
