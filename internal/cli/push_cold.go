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
	"github.com/eopack/eopack/transfer"
)

// coldUploads sends a push's files while the others are still being hashed, so that the
// registry is busy from the first file rather than after the last:
//   - A large file is read once on its first push to a registry: instead of hashing it to
//     build the manifest and then reading it again to upload it, it is uploaded in chunks
//     while hashed, and the digest comes from the closing PUT. Interrupted, such an upload
//     resumes on the next run like any chunked upload (its state is keyed by the file's
//     identity, with the hash state).
//   - A small file (below transfer.SmallBlobSize) just hashed is checked (HEAD) and, when
//     the registry lacks it, uploaded in the background (early), as many at once as the
//     copy would send. Only when the manifest is known to fit the registries' limit
//     (allowEarly): a push refused for its manifest's size sends nothing. The first
//     failure stops the early uploads; the copy then sends what is left and reports it.
//
// Files the digest cache already knows are left to the copy, which checks whether the
// registry has them and skips them if so; the copy does not check again what the early
// checks found (present) or sent.
type coldUploads struct {
	ctx    context.Context
	cancel context.CancelFunc
	repo   *orasremote.Repository
	up     *remote.Uploader
	t      progress.Tracker // shows the upload: a bar, then its status line
	slots  chan struct{}    // early uploads in flight
	wg     sync.WaitGroup

	mu      sync.Mutex
	early   bool // allowEarly was called and no early upload failed
	started map[digest.Digest]bool
	sent    map[digest.Digest]bool
	present map[digest.Digest]bool
}

// newColdUploads returns the cold uploads of a push to repo; at most inFlight small files
// go up early at once.
func newColdUploads(ctx context.Context, repo *orasremote.Repository, o remote.UploadOptions, t progress.Tracker, inFlight int) *coldUploads {
	ctx, cancel := context.WithCancel(ctx)
	return &coldUploads{ctx: ctx, cancel: cancel, repo: repo, up: remote.NewUploader(repo, o), t: t,
		slots: make(chan struct{}, max(inFlight, 1)), started: map[digest.Digest]bool{},
		sent: map[digest.Digest]bool{}, present: map[digest.Digest]bool{}}
}

// allowEarly lets small files go up as soon as they are hashed.
func (c *coldUploads) allowEarly() {
	c.mu.Lock()
	c.early = true
	c.mu.Unlock()
}

// digest is files.PackOptions.Digest: the file's digest, from the cache, by hashing it
// (small files, then sent early), or by uploading it (large ones).
func (c *coldUploads) digest(p, title, mediaType string) (digest.Digest, int64, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return files.HashFileCached(p)
	}
	if d, n, ok := files.CachedDigest(p); ok {
		return d, n, nil
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Size: fi.Size(), Annotations: map[string]string{ocispec.AnnotationTitle: title}}
	if !c.up.Chunked(fi.Size()) {
		d, n, err := files.HashAndRemember(p, fi)
		if err == nil && n == fi.Size() {
			desc.Digest = d
			c.sendEarly(p, desc)
		}
		return d, n, err
	}
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
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

// sendEarly starts the check and upload of small file p (desc), waiting for a slot: the
// hashing waits when the registry is the slower side.
func (c *coldUploads) sendEarly(p string, desc ocispec.Descriptor) {
	c.mu.Lock()
	skip := !c.early || desc.Size >= transfer.SmallBlobSize || c.started[desc.Digest]
	c.started[desc.Digest] = true
	c.mu.Unlock()
	if skip {
		return
	}
	select {
	case c.slots <- struct{}{}:
	case <-c.ctx.Done():
		return
	}
	c.wg.Add(1)
	go func() {
		defer func() { <-c.slots; c.wg.Done() }()
		if err := c.upload(p, desc); err != nil {
			c.mu.Lock()
			c.early = false
			c.mu.Unlock()
		}
	}()
}

// upload sends p as desc unless the registry has it, and records which it was.
func (c *coldUploads) upload(p string, desc ocispec.Descriptor) error {
	c.mu.Lock()
	stopped := !c.early
	c.mu.Unlock()
	if stopped {
		return nil
	}
	ok, err := c.repo.Exists(c.ctx, desc)
	if err != nil {
		return err
	}
	if ok {
		c.mu.Lock()
		c.present[desc.Digest] = true
		c.mu.Unlock()
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	bar := c.t.Start("Uploading", desc)
	if err := c.up.Push(c.ctx, desc, progress.Reader(f, bar.Add)); err != nil {
		return err // the copy sends it again, and reports what fails
	}
	bar.Done("Uploaded ")
	c.mu.Lock()
	c.sent[desc.Digest] = true
	c.mu.Unlock()
	return nil
}

// wait waits for the early uploads in flight.
func (c *coldUploads) wait() {
	if c != nil {
		c.wg.Wait()
	}
}

// close stops the early uploads and waits for them.
func (c *coldUploads) close() {
	if c != nil {
		c.cancel()
		c.wg.Wait()
	}
}

// uploaded is what the copy must count as sent by this run, and present what the early
// checks found at the registry; both are not checked again. Call wait first.
func (c *coldUploads) uploaded() (sent, present map[digest.Digest]bool) {
	if c == nil {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent, c.present
}
