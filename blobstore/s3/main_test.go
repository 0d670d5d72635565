package s3store

import (
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/eopack/eopack/internal/testpeer"
)

// peer is the S3 server the package's tests share; each test makes its own bucket.
var peer *testpeer.S3

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	s, stop, err := testpeer.StartS3Main()
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3store:", err)
		return 1
	}
	defer stop()
	peer = s
	for k, v := range s.Env() {
		os.Setenv(k, v)
	}
	return m.Run()
}

var buckets atomic.Int64

// newBucket creates an empty bucket and returns its name.
func newBucket(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("s3store-%d", buckets.Add(1))
	if err := peer.CreateBucket(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	return name
}

// openStore opens the store at prefix in bucket.
func openStore(t *testing.T, bucket, prefix string) *Store {
	t.Helper()
	s, err := Open(t.Context(), peer.URL(bucket, prefix))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// open opens a store in a new bucket.
func open(t *testing.T) *Store { return openStore(t, newBucket(t), "") }

// keys lists the keys of every object under the store's prefix + under.
func keys(t *testing.T, s *Store, under string) []string {
	t.Helper()
	var out []string
	prefix := s.prefix + under
	pages := s3.NewListObjectsV2Paginator(peer.Client(), &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &prefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
		}
	}
	return out
}

// uploads lists the keys of the multipart uploads under the store's prefix + under.
func uploads(t *testing.T, s *Store, under string) []string {
	t.Helper()
	var out []string
	prefix := s.prefix + under
	pages := s3.NewListMultipartUploadsPaginator(peer.Client(), &s3.ListMultipartUploadsInput{Bucket: &s.bucket, Prefix: &prefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Uploads {
			out = append(out, aws.ToString(u.Key))
		}
	}
	return out
}

// checkNoSession fails t if anything is left under uploads/: objects or multipart uploads.
func checkNoSession(t *testing.T, s *Store) {
	t.Helper()
	if k, u := keys(t, s, "uploads/"), uploads(t, s, "uploads/"); len(k)+len(u) != 0 {
		t.Fatalf("left under uploads/: objects %v, multipart uploads %v", k, u)
	}
}

// counter counts the requests of a store's client by method.
type counter struct {
	next http.RoundTripper
	n    map[string]int
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n[r.Method]++
	return c.next.RoundTrip(r)
}

// countRequests makes s count its requests (not safe for concurrent use).
func countRequests(s *Store) *counter {
	c := &counter{next: http.DefaultTransport, n: map[string]int{}}
	s.client = s3.New(s.client.Options(), func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: c} })
	return c
}
