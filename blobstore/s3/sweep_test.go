package s3store

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A multipart upload under blobs/ that a crash left behind is aborted by SweepTemp once it
// is older than the age given, and not before; upload sessions' uploads are not touched.
func TestSweepTempAbortsLeftMultipart(t *testing.T) {
	s := open(t)
	key := s.prefix + "blobs/sha256/ab/" + "ab" + "00000000000000000000000000000000000000000000000000000000000000"[:62]
	if _, err := peer.Client().CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &key}); err != nil {
		t.Fatal(err)
	}
	sess := start(t, s)
	sess.Append(t, s, make([]byte, 9<<20), nil) // a session with a multipart upload of its own
	if n, err := s.SweepTemp(t.Context(), time.Hour); err != nil || n != 0 {
		t.Fatalf("SweepTemp(1h) = %d, %v; want 0: the upload is new", n, err)
	}
	time.Sleep(1100 * time.Millisecond) // S3 times have a resolution of a second
	if n, err := s.SweepTemp(t.Context(), time.Second); err != nil || n != 1 {
		t.Fatalf("SweepTemp(1s) = %d, %v; want 1", n, err)
	}
	if u := uploads(t, s, "blobs/"); len(u) != 0 {
		t.Fatalf("multipart uploads under blobs/ after the sweep: %v", u)
	}
	if u := uploads(t, s, "uploads/"); len(u) != 1 {
		t.Fatalf("the session's multipart upload is gone: %v", u)
	}
	if s.ChunkMinLength() != 5<<20 {
		t.Fatalf("ChunkMinLength = %d", s.ChunkMinLength())
	}
}
