package s3store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/blobstore/blobstoretest"
	"github.com/opencontainers/go-digest"
)

// checkNoObject fails t unless a raw HeadObject finds nothing at d's key.
func checkNoObject(t *testing.T, s *Store, d digest.Digest) {
	t.Helper()
	key, _ := s.blobKey(d)
	_, err := peer.Client().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if !isNotFound(err) {
		t.Fatalf("HeadObject %s: %v, want not found", key, err)
	}
}

// A Put that fails for any reason leaves no object and no multipart upload: streamed
// (sha256, known size) and buffered (unknown size, sha512, above maxPut).
func TestFailedPutLeavesNoObject(t *testing.T) {
	s := open(t)
	s.maxPut = 6 << 20
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, n := range []int{3<<20 + 7, 9<<20 + 1} {
		b := blobstoretest.Data(n, uint64(n))
		d, d512, n := digest.FromBytes(b), digest.SHA512.FromBytes(b), int64(n)
		other, other512 := digest.FromString("other"), digest.SHA512.FromString("other")
		for _, c := range []struct {
			name string
			d    digest.Digest
			put  func() (int64, error)
			want error
		}{
			{"wrong digest", other, func() (int64, error) { return s.Put(t.Context(), other, n, bytes.NewReader(b)) }, blobstore.ErrDigestMismatch},
			{"wrong sha512", other512, func() (int64, error) { return s.Put(t.Context(), other512, n, bytes.NewReader(b)) }, blobstore.ErrDigestMismatch},
			{"unknown size, wrong digest", other, func() (int64, error) { return s.Put(t.Context(), other, -1, bytes.NewReader(b)) }, blobstore.ErrDigestMismatch},
			{"too short", d, func() (int64, error) { return s.Put(t.Context(), d, n+1, bytes.NewReader(b)) }, blobstore.ErrSizeMismatch},
			{"too long", d, func() (int64, error) { return s.Put(t.Context(), d, n-1, bytes.NewReader(b)) }, blobstore.ErrSizeMismatch},
			{"sha512 too long", d512, func() (int64, error) { return s.Put(t.Context(), d512, n-1, bytes.NewReader(b)) }, blobstore.ErrSizeMismatch},
			{"reader fails at the end", d, func() (int64, error) { return s.Put(t.Context(), d, n, blobstoretest.FailAfter(b, len(b)-1)) }, blobstoretest.ErrReader},
			{"unknown size, reader fails", d, func() (int64, error) { return s.Put(t.Context(), d, -1, blobstoretest.FailAfter(b, len(b)-1)) }, blobstoretest.ErrReader},
			{"cancelled", d, func() (int64, error) { return s.Put(cancelled, d, n, bytes.NewReader(b)) }, context.Canceled},
		} {
			if _, err := c.put(); !errors.Is(err, c.want) {
				t.Fatalf("%d bytes, %s: Put = %v, want %v", n, c.name, err, c.want)
			}
			checkNoObject(t, s, c.d)
			if k, u := keys(t, s, ""), uploads(t, s, ""); len(k)+len(u) != 0 {
				t.Fatalf("%d bytes, %s: left objects %v, multipart uploads %v", n, c.name, k, u)
			}
		}
	}
}

// gated reads b, stopping halfway until every gated reader of its group got there, so
// that the Puts reading them overlap.
type gated struct {
	r    io.Reader
	left int
	wg   *sync.WaitGroup
	once sync.Once
}

func (g *gated) Read(p []byte) (int, error) {
	if g.left == 0 {
		g.once.Do(func() {
			g.wg.Done()
			done := make(chan struct{})
			go func() { g.wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
		})
	} else if len(p) > g.left {
		p = p[:g.left]
	}
	n, err := g.r.Read(p)
	if g.left > 0 {
		g.left -= n
	}
	return n, err
}

// Two Puts of one digest in flight together both succeed and leave one right blob: streamed,
// multipart with a known size, multipart with an unknown size.
func TestConcurrentPutsOfOneDigest(t *testing.T) {
	s := open(t)
	s.maxPut = 6 << 20
	for i, c := range []struct{ n, size int }{{3<<20 + 1, 3<<20 + 1}, {9 << 20, 9 << 20}, {17<<20 + 5, -1}} {
		b := blobstoretest.Data(c.n, uint64(i))
		d := digest.FromBytes(b)
		var half sync.WaitGroup
		half.Add(2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for j := range errs {
			r := &gated{r: bytes.NewReader(b), left: c.n / 2, wg: &half}
			wg.Go(func() { _, errs[j] = s.Put(t.Context(), d, int64(c.size), r) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("%d bytes: Puts = %v", c.n, errs)
		}
		blobstoretest.CheckBlob(t, s, d, b)
		if u := uploads(t, s, ""); len(u) != 0 {
			t.Fatalf("multipart uploads left: %v", u)
		}
	}
	if k := keys(t, s, ""); len(k) != 3 {
		t.Fatalf("objects %v, want 3 blobs", k)
	}
}

// Open's reader answers seeks from the size and issues one ranged GET per Read position.
func TestOpenSeekRange(t *testing.T) {
	s := open(t)
	b := blobstoretest.Data(2<<20+11, 1)
	d := blobstoretest.Put(t, s, b)
	c := countRequests(s)
	r, info, err := s.Open(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil || size != int64(len(b)) || info.Size != size {
		t.Fatalf("Seek to the end = %d, %v; info %+v", size, err, info)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil || c.n["GET"] != 0 {
		t.Fatalf("seeks made %d GETs (%v)", c.n["GET"], err)
	}
	read := func(off int64, n int) {
		t.Helper()
		got := make([]byte, n)
		if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, b[off:off+int64(n)]) {
			t.Fatalf("read %d+%d: %v, wrong bytes", off, n, err)
		}
	}
	r.Seek(1<<20+3, io.SeekStart)
	read(1<<20+3, 100)
	read(1<<20+103, 5000) // goes on in the same response
	if c.n["GET"] != 1 {
		t.Fatalf("%d GETs for one range, want 1", c.n["GET"])
	}
	r.Seek(7, io.SeekStart)
	read(7, 10)
	if n, err := r.Seek(0, io.SeekEnd); err != nil || n != size {
		t.Fatal(n, err)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read at the end = %d, %v", n, err)
	}
	if c.n["GET"] != 2 || c.n["HEAD"] != 1 {
		t.Fatalf("requests %v, want 1 HEAD and 2 GETs", c.n)
	}
}

// A presigned URL serves a plain ranged GET.
func TestBlobURL(t *testing.T) {
	s := open(t)
	b := blobstoretest.Data(100_000, 2)
	d := blobstoretest.Put(t, s, b)
	u, err := s.BlobURL(t.Context(), d, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(u, peer.SecretKey) {
		t.Fatal("URL holds the secret key")
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	req.Header.Set("Range", "bytes=1000-1999")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, b[1000:2000]) {
		t.Fatalf("GET = %s, %d bytes, %v; want 206 and bytes 1000-1999", resp.Status, len(got), err)
	}
}

// Open names the URL, never a password, in one line, and refuses what it does not know.
func TestOpenURL(t *testing.T) {
	bucket := newBucket(t)
	s, err := Open(t.Context(), peer.URL(bucket, "/a/b/")+"&path-style=true")
	if err != nil || s.prefix != "a/b/" || s.bucket != bucket {
		t.Fatalf("Open = %+v, %v", s, err)
	}
	ep := "?endpoint=" + peer.Endpoint + "&region=us-east-1"
	for url, want := range map[string]string{
		"s3://missing-bucket" + ep:              "s3://missing-bucket?endpoint=",
		"s3://user:hunter2@missing-bucket" + ep: "bucket not reachable",
		"s3://" + bucket + ep + "&color=red":    `unknown parameter "color"`,
		"s3://" + bucket + ep + "&path-style=x": "path-style",
		"https://" + bucket + ep:                "want s3://BUCKET/PREFIX",
		"s3:///prefix" + ep:                     "want s3://BUCKET/PREFIX",
	} {
		_, err := Open(t.Context(), url)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter2") ||
			strings.Contains(err.Error(), peer.SecretKey) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%s) = %v, want one line with %q", url, err, want)
		}
	}
}
