package s3store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ChunkMinLength is the smallest upload chunk that costs no extra round trip: S3's minimum
// part. A registry advertises it (OCI-Chunk-Min-Length); smaller chunks still work, kept in
// the session's tail until a part is full.
func (s *Store) ChunkMinLength() int64 { return minPart }

// SweepTemp aborts multipart uploads under blobs/ started more than age ago: large Puts that
// a crash cut off before they completed (a Put that fails otherwise aborts its own). Upload
// sessions' multipart uploads are under uploads/ and go with their sessions (WalkUploads,
// Abort). It returns how many it aborted.
func (s *Store) SweepTemp(ctx context.Context, age time.Duration) (int, error) {
	before := time.Now().Add(-age)
	n := 0
	err := s.listUploads(ctx, s.prefix+"blobs/", func(key, id string, initiated time.Time) error {
		if !initiated.Before(before) {
			return nil
		}
		_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &key, UploadId: &id})
		if err == nil || isNoUpload(err) {
			n++
			return nil
		}
		return err
	})
	return n, err
}
