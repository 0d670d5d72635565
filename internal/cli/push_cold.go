package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/files"
	"github.com/eopack/eopack/progress"
	"github.com/eopack/eopack/remote"
)

// coldUploads reads a large file once on its first push to a registry: instead of hashing
// it to build the manifest and then reading it again to upload it, it uploads it in chunks
// while hashing, and the digest comes from the closing PUT. Files the digest cache already
// knows are not uploaded here: the copy then checks whether the registry has them (HEAD)
// and skips them if so. Interrupted, such an upload resumes on the next run like any
// chunked upload (its state is keyed by the file's identity, with the hash state).
type coldUploads struct {
	ctx context.Context
	up  *remote.Uploader
	t   progress.Tracker // shows the upload: a bar, then its status line

	mu   sync.Mutex
	sent map[digest.Digest]bool
}

func newColdUploads(ctx context.Context, repo *orasremote.Repository, o remote.UploadOptions, t progress.Tracker) *coldUploads {
	return &coldUploads{ctx: ctx, up: remote.NewUploader(repo, o), t: t, sent: map[digest.Digest]bool{}}
}

// digest is files.PackOptions.Digest: the file's digest, from the cache, by hashing it
// (small files), or by uploading it (large ones).
func (c *coldUploads) digest(p, title, mediaType string) (digest.Digest, int64, error) {
	fi, err := os.Stat(p)
	if err != nil || !c.up.Chunked(fi.Size()) {
		return files.HashFileCached(p)
	}
	if d, n, ok := files.CachedDigest(p); ok {
		return d, n, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	desc := ocispec.Descriptor{MediaType: mediaType, Size: fi.Size(), Annotations: map[string]string{ocispec.AnnotationTitle: title}}
	bar := c.t.Start("Uploading", desc) // no digest yet: it is computed on the way
	d, err := c.up.PushHashing(c.ctx, mediaType, fi.Size(), progress.Reader(f, bar.Add).(io.ReaderAt), files.FileIdentity(p))
	if err != nil {
		return "", 0, fmt.Errorf("uploading %s: %w", p, err)
	}
	desc.Digest = d
	progress.Resolve(bar, desc)
	bar.Done("Uploaded ")
	files.RememberDigest(p, fi, d)
	c.mu.Lock()
	c.sent[d] = true
	c.mu.Unlock()
	return d, fi.Size(), nil
}

// uploaded is what the copy must count as sent by this run.
func (c *coldUploads) uploaded() map[digest.Digest]bool {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent
}
