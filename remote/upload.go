package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Uploader pushes a blob in one request where the registry allows it: POST
// /v2/<name>/blobs/uploads/?digest=<digest> with the whole body (the distribution spec's
// single-request monolithic upload,
// https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#single-post).
// oras-go always opens a session first (POST, then PUT): two round trips per blob, which is
// most of the cost of a small blob.
//
// Whether the registry supports it is found out once per Uploader, on the first blob, while
// other pushes wait: a 201 means it does; a 202 means it opened a session instead (as the
// spec allows), the bytes are then PUT to that session, and every later blob goes through
// oras-go's Push. The body is read through io.ReaderAt (a local file, bytes in memory), so
// the client can send it again when the auth flow or a retry asks (GetBody), and is never
// held in memory.
//
// Blobs of at least the chunk size (UploadOptions) go up in chunks instead, resumable after
// a broken connection and, with an UploadState, after the process itself dies (chunked.go);
// so does a blob whose single body a proxy refuses as too large (413).
type Uploader struct {
	Repo    *orasremote.Repository
	Options UploadOptions

	mu      sync.Mutex
	state   int           // 0 unknown, 1 single request works, 2 it does not
	probing chan struct{} // closed when the probe of an unknown registry ends
}

const (
	probeUnknown = iota
	singleWorks
	singleFails
)

// UploadOptions tune how an Uploader sends large blobs.
type UploadOptions struct {
	// ChunkSize is the size from which a blob goes up in chunks, and their size; 0 means
	// DefaultUploadChunkSize, raised to the registry's OCI-Chunk-Min-Length.
	ChunkSize int64
	// State keeps unfinished chunked uploads for a later process; nil keeps none.
	State *UploadState
}

// NewUploader returns an Uploader for repo.
func NewUploader(repo *orasremote.Repository, o UploadOptions) *Uploader {
	return &Uploader{Repo: repo, Options: o}
}

// Push implements content.Pusher: in chunks when the blob is large and r an io.ReaderAt
// (a local file), else one request when the registry allows it and r is an io.ReaderAt,
// oras-go's Push otherwise.
func (u *Uploader) Push(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return u.Repo.Push(ctx, desc, r)
	}
	if u.Chunked(desc.Size) {
		return u.pushChunked(ctx, desc, ra)
	}
	err := u.pushWhole(ctx, desc, ra)
	if tooLarge(err) {
		return u.pushChunked(ctx, desc, ra)
	}
	return err
}

// tooLarge reports whether err is a registry's (or its proxy's) 413 to a request body.
func tooLarge(err error) bool {
	var resp *errcode.ErrorResponse
	return errors.As(err, &resp) && resp.StatusCode == http.StatusRequestEntityTooLarge
}

// pushWhole sends the blob in one body: in the POST itself when the registry allows it,
// else to a session.
func (u *Uploader) pushWhole(ctx context.Context, desc ocispec.Descriptor, ra io.ReaderAt) error {
	for {
		u.mu.Lock()
		state, wait := u.state, u.probing
		if state == probeUnknown && wait == nil {
			u.probing = make(chan struct{})
		}
		u.mu.Unlock()
		switch {
		case state == singleWorks:
			_, err := u.post(ctx, desc, ra)
			return err
		case state == singleFails:
			return u.Repo.Push(ctx, desc, io.NewSectionReader(ra, 0, desc.Size))
		case wait != nil:
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// this push is the probe
		works, err := u.post(ctx, desc, ra)
		refused := false
		var resp *errcode.ErrorResponse
		if errors.As(err, &resp) {
			switch resp.StatusCode {
			case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusRequestEntityTooLarge:
			default: // a registry that refuses ?digest= with a body: sessions it is
				refused = true
			}
		}
		u.mu.Lock()
		switch {
		case err == nil && works:
			u.state = singleWorks
		case err == nil || refused:
			u.state = singleFails
		}
		close(u.probing)
		u.probing = nil
		u.mu.Unlock()
		if refused {
			return u.Repo.Push(ctx, desc, io.NewSectionReader(ra, 0, desc.Size))
		}
		return err
	}
}

// SingleRequest reports whether the registry took a blob in one request (false while
// unknown).
func (u *Uploader) SingleRequest() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.state == singleWorks
}

// post sends POST ?digest= with the body; on 202 it PUTs the body to the session it got.
// It reports whether the POST alone stored the blob.
func (u *Uploader) post(ctx context.Context, desc ocispec.Descriptor, ra io.ReaderAt) (bool, error) {
	ctx = auth.AppendRepositoryScope(ctx, u.Repo.Reference, auth.ActionPull, auth.ActionPush)
	base, err := url.Parse(u.uploadsURL())
	if err != nil {
		return false, err
	}
	q := url.Values{"digest": {desc.Digest.String()}}
	base.RawQuery = q.Encode()
	resp, err := u.send(ctx, http.MethodPost, base.String(), desc, ra)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusCreated:
		return true, nil
	case http.StatusAccepted:
	default:
		return false, errorResponse(resp)
	}
	loc, err := resp.Location()
	if err != nil {
		return false, fmt.Errorf("%s: upload session without Location: %w", desc.Digest, err)
	}
	lq := loc.Query()
	lq.Set("digest", desc.Digest.String())
	loc.RawQuery = lq.Encode()
	put, err := u.send(ctx, http.MethodPut, loc.String(), desc, ra)
	if err != nil {
		return false, err
	}
	defer put.Body.Close()
	if put.StatusCode != http.StatusCreated {
		return false, errorResponse(put)
	}
	return false, nil
}

// send sends the blob's bytes to target with method; the body can be replayed.
func (u *Uploader) send(ctx context.Context, method, target string, desc ocispec.Descriptor, ra io.ReaderAt) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, io.NewSectionReader(ra, 0, desc.Size))
	if err != nil {
		return nil, err
	}
	req.ContentLength = desc.Size
	req.GetBody = func() (io.ReadCloser, error) {
		return io.NopCloser(io.NewSectionReader(ra, 0, desc.Size)), nil
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	return u.client().Do(req)
}

// errorResponse reads a registry's error answer as oras-go does, so callers see one error
// type whichever client sent the request.
func errorResponse(resp *http.Response) error {
	e := &errcode.ErrorResponse{Method: resp.Request.Method, URL: resp.Request.URL, StatusCode: resp.StatusCode}
	var body struct{ Errors errcode.Errors }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body); err == nil {
		e.Errors = body.Errors
	}
	return e
}
