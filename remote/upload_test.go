package remote_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/content"

	"github.com/eopack/eopack/registry"
	"github.com/eopack/eopack/remote"
)

// uploadCounts counts the upload requests a registry saw.
type uploadCounts struct {
	posts, postBodies, puts, patches atomic.Int64
}

// counting counts upload requests; with sessionsOnly it also hides ?digest= from POSTs, as
// a registry without single-request uploads (CNCF distribution) answers them: 202.
func counting(c *uploadCounts, sessionsOnly bool) wrapFunc {
	return func(_ *fixture, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/blobs/uploads/") {
				switch r.Method {
				case http.MethodPost:
					c.posts.Add(1)
					if r.ContentLength > 0 {
						c.postBodies.Add(1)
					}
					if sessionsOnly {
						q := r.URL.Query()
						q.Del("digest")
						r.URL.RawQuery = q.Encode()
						io.Copy(io.Discard, r.Body)
					}
				case http.MethodPut:
					c.puts.Add(1)
				case http.MethodPatch:
					c.patches.Add(1)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// pushMany pushes n different blobs of a few KiB through one Uploader, 8 at once, each from
// a temporary file, and checks the registry holds every one with the right bytes.
func pushMany(t *testing.T, f *fixture, n int) *remote.Uploader {
	t.Helper()
	repo := f.repo()
	u := remote.NewUploader(repo, remote.UploadOptions{})
	dir := t.TempDir()
	var g errgroup.Group
	g.SetLimit(8)
	descs := make([]ocispec.Descriptor, n)
	blobs := make([][]byte, n)
	for i := range n {
		blobs[i] = bytes.Repeat([]byte(fmt.Sprintf("blob %d;", i)), 500)
		descs[i] = content.NewDescriptorFromBytes("application/octet-stream", blobs[i])
		g.Go(func() error {
			p := filepath.Join(dir, fmt.Sprint(i))
			if err := os.WriteFile(p, blobs[i], 0o644); err != nil {
				return err
			}
			fh, err := os.Open(p)
			if err != nil {
				return err
			}
			defer fh.Close()
			return u.Push(context.Background(), descs[i], fh)
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, d := range descs {
		got, err := content.FetchAll(context.Background(), repo, d)
		if err != nil || !bytes.Equal(got, blobs[i]) {
			t.Fatalf("blob %d: %d bytes back (%v), want the %d pushed", i, len(got), err, len(blobs[i]))
		}
	}
	return u
}

func TestUploaderSingleRequest(t *testing.T) {
	var c uploadCounts
	f := newFixture(t, registry.Options{}, counting(&c, false))
	u := pushMany(t, f, 40)
	if !u.SingleRequest() {
		t.Fatal("SingleRequest() = false after a registry answered 201")
	}
	if p, b, puts := c.posts.Load(), c.postBodies.Load(), c.puts.Load(); p != 40 || b != 40 || puts != 0 {
		t.Fatalf("%d POSTs (%d with a body), %d PUTs; want 40 POSTs with the bytes and no PUT", p, b, puts)
	}
}

func TestUploaderFallsBackToSessions(t *testing.T) {
	var c uploadCounts
	f := newFixture(t, registry.Options{}, counting(&c, true))
	u := pushMany(t, f, 40)
	if u.SingleRequest() {
		t.Fatal("SingleRequest() = true from a registry that answered 202")
	}
	// the first blob probes (its bytes go with the POST and again with the PUT); the other
	// 39 go the ordinary way, POST without bytes then PUT
	if p, b, puts := c.posts.Load(), c.postBodies.Load(), c.puts.Load(); p != 40 || b != 1 || puts != 40 {
		t.Fatalf("%d POSTs (%d with a body), %d PUTs; want 40, 1, 40", p, b, puts)
	}
}

func TestUploaderReplaysBodyForCredentials(t *testing.T) {
	f := newPrivateFixture(t)
	if u := pushMany(t, f, 3); !u.SingleRequest() {
		t.Fatal("SingleRequest() = false behind basic auth")
	}
	f.user = ""
	b := []byte("no credentials")
	d := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromBytes(b), Size: int64(len(b))}
	if err := remote.NewUploader(f.repo(), remote.UploadOptions{}).Push(context.Background(), d, bytes.NewReader(b)); err == nil {
		t.Fatal("push without credentials to a private registry succeeded")
	}
}
