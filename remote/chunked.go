package remote

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// DefaultUploadChunkSize is the PATCH size of a chunked upload, and the size from which a
// blob goes up in chunks, unless the registry asks for larger chunks (OCI-Chunk-Min-Length).
const DefaultUploadChunkSize = 64 << 20

// A chunked upload (distribution-spec v1.1.1, "Pushing a blob in chunks"): POST opens a
// session, each PATCH sends the next bytes with Content-Range, the closing PUT names the
// digest. After a broken connection or a 5xx the client asks the registry where the session
// stands (GET on the upload URL answers Range: 0-<last byte>) and continues from there: only
// what the registry does not hold is sent again. Its URL and offset are also written to an
// UploadState after every chunk, so a later process continues it.
type chunked struct {
	u    *Uploader
	desc ocispec.Descriptor // Digest is empty while the upload computes it
	ra   io.ReaderAt
	key  string // UploadState key; "" keeps no state
	file string // identity of the source file, for a digest computed while uploading

	loc      *url.URL
	off      int64 // bytes the registry holds
	chunk    int64
	minChunk int64 // the registry's OCI-Chunk-Min-Length

	hmu  sync.Mutex
	h    hash.Hash // sha256 of bytes [0, hoff) when computing the digest, else nil
	hoff int64
}

// maxStalls is how many failed attempts in a row, without a byte of progress between them,
// end an upload.
const maxStalls = 8

// errSessionGone is returned when the registry no longer knows the upload session.
var errSessionGone = errors.New("upload session unknown to the registry")

// errSmallerChunks is returned when a chunk was refused as too large (413) and the next
// attempt sends half as much.
var errSmallerChunks = errors.New("chunk too large")

// minChunkOn413 is the smallest chunk tried after 413s, unless the registry asks for more.
const minChunkOn413 = 1 << 20

func (u *Uploader) chunkSize() int64 {
	if u.Options.ChunkSize > 0 {
		return u.Options.ChunkSize
	}
	return DefaultUploadChunkSize
}

// Chunked reports whether a blob of size bytes goes up in chunks.
func (u *Uploader) Chunked(size int64) bool { return size >= u.chunkSize() }

// pushChunked uploads desc (digest known) from ra in chunks, continuing a session an
// earlier process left when the UploadState has one.
func (u *Uploader) pushChunked(ctx context.Context, desc ocispec.Descriptor, ra io.ReaderAt) error {
	c := &chunked{u: u, desc: desc, ra: ra, chunk: u.chunkSize()}
	if u.Options.State != nil {
		c.key = u.Options.State.key(u.Repo.Reference.Registry, u.Repo.Reference.Repository, desc.Digest.String())
	}
	_, err := c.run(ctx)
	return err
}

// PushHashing uploads size bytes of ra in chunks while computing their sha256, so a file
// is read once, and returns the digest the registry stored them under. file identifies the
// source (path, inode, size, times) so that a later process can continue the upload.
func (u *Uploader) PushHashing(ctx context.Context, mediaType string, size int64, ra io.ReaderAt, file string) (digest.Digest, error) {
	c := &chunked{u: u, desc: ocispec.Descriptor{MediaType: mediaType, Size: size}, ra: ra, chunk: u.chunkSize(),
		h: digest.SHA256.Hash(), file: file}
	if u.Options.State != nil && file != "" {
		c.key = u.Options.State.key(u.Repo.Reference.Registry, u.Repo.Reference.Repository, "file:"+file)
	}
	return c.run(ctx)
}

func (c *chunked) name() string {
	if c.desc.Digest != "" {
		return c.desc.Digest.String()
	}
	return "upload"
}

// run drives the upload to its closing PUT and returns the blob's digest.
func (c *chunked) run(ctx context.Context) (digest.Digest, error) {
	ctx = auth.AppendRepositoryScope(ctx, c.u.Repo.Reference, auth.ActionPull, auth.ActionPush)
	if err := c.resume(ctx); err != nil {
		return "", err
	}
	stalls, restarts := 0, 0
	var last error
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		before := c.off
		var err error
		if c.loc == nil {
			err = c.open(ctx)
		} else if c.off < c.desc.Size {
			err = c.patch(ctx)
		} else {
			var d digest.Digest
			if d, err = c.close(ctx); err == nil {
				c.forget()
				return d, nil
			}
		}
		if err == nil {
			if c.off > before {
				stalls = 0
			}
			c.save()
			continue
		}
		if errors.Is(err, errSmallerChunks) {
			continue
		}
		if errors.Is(err, errSessionGone) && restarts < 2 {
			// the registry forgot the session (expired, restarted without it): start over
			restarts++
			c.restart()
			continue
		}
		if !transient(ctx, err) {
			return "", err
		}
		last = err
		if stalls++; stalls > maxStalls {
			return "", fmt.Errorf("%s: upload made no progress after %d attempts: %w", c.name(), maxStalls, last)
		}
		if err := sleep(ctx, backoff(stalls)); err != nil {
			return "", err
		}
		if c.loc != nil {
			if err := c.status(ctx); err != nil && !transient(ctx, err) {
				if errors.Is(err, errSessionGone) {
					c.restart()
					continue
				}
				return "", err
			}
		}
	}
}

// resume picks up the session an earlier process recorded, if the registry still has it.
func (c *chunked) resume(ctx context.Context) error {
	if c.key == "" {
		return nil
	}
	rec, ok := c.u.Options.State.load(c.key)
	if !ok || rec.Size != c.desc.Size {
		return nil
	}
	loc, err := url.Parse(rec.Location)
	if err != nil {
		c.forget()
		return nil
	}
	if c.h != nil {
		h, err := restoreHash(rec.Hash)
		if err != nil || rec.HashOffset > rec.Size {
			c.forget()
			return nil
		}
		c.h, c.hoff = h, rec.HashOffset
		c.desc.MediaType = firstNonEmpty(c.desc.MediaType, rec.MediaType)
	}
	c.loc = loc
	if err := c.status(ctx); err != nil {
		// the registry decides: a session it forgot, or cannot describe, starts over
		c.restart()
		if c.h != nil {
			c.h, c.hoff = digest.SHA256.Hash(), 0
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// open starts a session: POST, Location, and the registry's smallest chunk.
func (c *chunked) open(ctx context.Context) error {
	resp, err := c.do(ctx, http.MethodPost, c.u.uploadsURL(), nil, 0, nil)
	if err != nil {
		return err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusAccepted {
		return errorResponse(resp)
	}
	if err := c.follow(resp); err != nil {
		return err
	}
	if n, err := strconv.ParseInt(resp.Header.Get("OCI-Chunk-Min-Length"), 10, 64); err == nil && n > 0 {
		c.minChunk = n
		if c.u.Options.ChunkSize == 0 && n > c.chunk {
			c.chunk = n
		}
	}
	c.off = 0
	return nil
}

// patch sends the next chunk.
func (c *chunked) patch(ctx context.Context) error {
	start := c.off
	n := min(c.chunk, c.desc.Size-start)
	hdr := http.Header{
		"Content-Type":  {"application/octet-stream"},
		"Content-Range": {fmt.Sprintf("%d-%d", start, start+n-1)},
	}
	resp, err := c.do(ctx, http.MethodPatch, c.loc.String(), hdr, n, func() io.Reader {
		return &hashingReader{c: c, ra: c.ra, pos: start, end: start + n}
	})
	if err != nil {
		return err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusAccepted, http.StatusNoContent, http.StatusCreated:
	case http.StatusNotFound:
		return errSessionGone
	case http.StatusRequestedRangeNotSatisfiable:
		return statusError{resp.StatusCode} // out of step: ask where the session stands
	case http.StatusRequestEntityTooLarge:
		if half := c.chunk / 2; half >= max(c.minChunk, minChunkOn413) {
			c.chunk = half
			return errSmallerChunks
		}
		return fmt.Errorf("%s: a chunk of %d bytes is refused as too large: %w", c.name(), n, errorResponse(resp))
	default:
		return errorResponse(resp)
	}
	if err := c.follow(resp); err != nil {
		return err
	}
	end, ok := parseRangeEnd(resp.Header.Get("Range"))
	if !ok {
		end = start + n - 1
	}
	if end+1 < start || end+1 > c.desc.Size {
		return fmt.Errorf("%s: registry acknowledged bytes 0-%d of a %d-byte chunk at %d", c.name(), end, n, start)
	}
	c.off = end + 1
	return nil
}

// status asks the registry how many bytes the session holds (GET on the upload URL).
func (c *chunked) status(ctx context.Context) error {
	resp, err := c.do(ctx, http.MethodGet, c.loc.String(), nil, 0, nil)
	if err != nil {
		return err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusOK, http.StatusAccepted:
	case http.StatusNotFound:
		return errSessionGone
	default:
		return errorResponse(resp)
	}
	if err := c.follow(resp); err != nil {
		return err
	}
	end, ok := parseRangeEnd(resp.Header.Get("Range"))
	switch {
	case !ok:
		c.off = 0
	case end+1 > c.desc.Size:
		return fmt.Errorf("%s: registry holds %d bytes of a %d-byte blob", c.name(), end+1, c.desc.Size)
	default:
		c.off = end + 1
	}
	return nil
}

// close sends the closing PUT with the digest, computing it first when needed.
func (c *chunked) close(ctx context.Context) (digest.Digest, error) {
	d := c.desc.Digest
	if c.h != nil {
		if err := c.hashTo(c.desc.Size); err != nil {
			return "", err
		}
		c.hmu.Lock()
		d = digest.NewDigest(digest.SHA256, c.h)
		c.hmu.Unlock()
	}
	loc := *c.loc
	q := loc.Query()
	q.Set("digest", d.String())
	loc.RawQuery = q.Encode()
	resp, err := c.do(ctx, http.MethodPut, loc.String(), http.Header{"Content-Type": {"application/octet-stream"}}, 0, nil)
	if err != nil {
		// the PUT may have landed before the answer was lost
		if ok, herr := c.u.Repo.Blobs().Exists(ctx, ocispec.Descriptor{Digest: d, Size: c.desc.Size, MediaType: c.desc.MediaType}); herr == nil && ok {
			return d, nil
		}
		return "", err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusCreated, http.StatusNoContent, http.StatusAccepted:
		return d, nil
	case http.StatusNotFound:
		if ok, herr := c.u.Repo.Blobs().Exists(ctx, ocispec.Descriptor{Digest: d, Size: c.desc.Size, MediaType: c.desc.MediaType}); herr == nil && ok {
			return d, nil
		}
		return "", errSessionGone
	}
	err = errorResponse(resp)
	var er *errcode.ErrorResponse
	if errors.As(err, &er) && er.StatusCode == http.StatusBadRequest {
		// the session's bytes are not the blob: nothing can be continued
		c.forget()
		return "", fmt.Errorf("%s: registry refused the uploaded bytes: %w", d, err)
	}
	return "", err
}

// follow takes the session URL the registry answered with (it may change at every step).
func (c *chunked) follow(resp *http.Response) error {
	loc, err := resp.Location()
	if err != nil {
		if c.loc != nil && errors.Is(err, http.ErrNoLocation) {
			return nil
		}
		return fmt.Errorf("%s: upload session without Location: %w", c.name(), err)
	}
	c.loc = loc
	return nil
}

// do sends one request of the upload; body, when not nil, makes a fresh body of n bytes
// (called again for a replay after an auth challenge).
func (c *chunked) do(ctx context.Context, method, target string, hdr http.Header, n int64, body func() io.Reader) (*http.Response, error) {
	var r io.Reader = http.NoBody
	if body != nil {
		r = body()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, r)
	if err != nil {
		return nil, err
	}
	req.ContentLength = n
	if body != nil {
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(body()), nil }
	} else {
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return c.u.client().Do(req)
}

// save records where the session stands, for a later process.
func (c *chunked) save() {
	if c.key == "" || c.loc == nil {
		return
	}
	rec := uploadRecord{
		Registry: c.u.Repo.Reference.Registry, Repository: c.u.Repo.Reference.Repository,
		Digest: c.desc.Digest, File: c.file, MediaType: c.desc.MediaType,
		Location: c.loc.String(), Offset: c.off, Size: c.desc.Size,
	}
	if c.h != nil {
		c.hmu.Lock()
		rec.Hash, rec.HashOffset = saveHash(c.h), c.hoff
		c.hmu.Unlock()
	}
	c.u.Options.State.store(c.key, rec)
}

// restart drops the session: the next step opens a new one from the first byte.
func (c *chunked) restart() {
	c.loc, c.off = nil, 0
	c.forget()
}

func (c *chunked) forget() {
	if c.key != "" {
		c.u.Options.State.remove(c.key)
	}
}

// hashAt feeds the digest the bytes b found at offset pos, where they extend what it has
// seen; bytes sent again after a broken connection are not hashed twice.
func (c *chunked) hashAt(pos int64, b []byte) {
	if c.h == nil {
		return
	}
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if pos <= c.hoff && c.hoff < pos+int64(len(b)) {
		c.h.Write(b[c.hoff-pos:])
		c.hoff = pos + int64(len(b))
	}
}

// hashTo reads and hashes the source up to end where the upload has not: after a resume
// that found the registry ahead of the recorded hash.
func (c *chunked) hashTo(end int64) error {
	buf := make([]byte, 1<<20)
	for {
		c.hmu.Lock()
		pos := c.hoff
		c.hmu.Unlock()
		if pos >= end {
			return nil
		}
		n, err := c.ra.ReadAt(buf[:min(int64(len(buf)), end-pos)], pos)
		if n > 0 {
			c.hashAt(pos, buf[:n])
		}
		if err != nil && !(errors.Is(err, io.EOF) && pos+int64(n) >= end) {
			return fmt.Errorf("reading source at %d: %w", pos, err)
		}
	}
}

// hashingReader reads [pos, end) of ra, feeding the upload's digest on the way.
type hashingReader struct {
	c        *chunked
	ra       io.ReaderAt
	pos, end int64
}

func (r *hashingReader) Read(p []byte) (int, error) {
	if r.pos >= r.end {
		return 0, io.EOF
	}
	if int64(len(p)) > r.end-r.pos {
		p = p[:r.end-r.pos]
	}
	n, err := r.ra.ReadAt(p, r.pos)
	if n > 0 {
		r.c.hashAt(r.pos, p[:n])
		r.pos += int64(n)
	}
	if errors.Is(err, io.EOF) && r.pos < r.end {
		return n, io.ErrUnexpectedEOF
	}
	if r.pos >= r.end {
		err = nil
	}
	return n, err
}

// statusError is an HTTP status that calls for a retry after asking the session's state.
type statusError struct{ code int }

func (e statusError) Error() string { return "registry answered " + http.StatusText(e.code) }

// transient reports whether err is worth another attempt: a broken connection, a timeout,
// or a registry answer that says "later".
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var se statusError
	if errors.As(err, &se) {
		return true
	}
	var er *errcode.ErrorResponse
	if errors.As(err, &er) {
		switch er.StatusCode {
		case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusRequestedRangeNotSatisfiable:
			return true
		}
		return er.StatusCode >= 500
	}
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF)
}

// backoff is the wait before the n-th attempt in a row: 250 ms doubling, at most 8 s.
func backoff(n int) time.Duration {
	return min(250*time.Millisecond<<min(n-1, 6), 8*time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// parseRangeEnd reads the last byte of an upload's Range header ("0-1023", or with a
// "bytes=" prefix as some registries send); ok is false without one (nothing held).
func parseRangeEnd(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "bytes=")
	a, b, found := strings.Cut(s, "-")
	if !found || strings.TrimSpace(a) != "0" {
		return 0, false
	}
	end, err := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if err != nil || end < 0 {
		return 0, false
	}
	return end, true
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// uploadsURL is the repository's POST /v2/<name>/blobs/uploads/.
func (u *Uploader) uploadsURL() string {
	scheme := "https"
	if u.Repo.PlainHTTP {
		scheme = "http"
	}
	ref := u.Repo.Reference
	return (&url.URL{Scheme: scheme, Host: ref.Host(), Path: "/v2/" + ref.Repository + "/blobs/uploads/"}).String()
}

func (u *Uploader) client() orasremote.Client {
	if u.Repo.Client != nil {
		return u.Repo.Client
	}
	return auth.DefaultClient
}
