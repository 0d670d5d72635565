package probe

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
)

// verifyBlob HEADs a blob and checks its size.
func verifyBlob(ctx context.Context, e *Env, repo string, d digest.Digest, size int64) error {
	r, err := e.do(ctx, http.MethodHead, blobPath(repo, d), nil, nil)
	if err != nil {
		return err
	}
	if r.Status != http.StatusOK {
		return fmt.Errorf("HEAD blob → %s", r)
	}
	if cl := r.Header.Get("Content-Length"); cl != strconv.FormatInt(size, 10) {
		return fmt.Errorf("HEAD blob: Content-Length %q, want %d", cl, size)
	}
	return nil
}

func checkUploadMonolithic(ctx context.Context, e *Env) Result {
	b := e.content("upload-monolithic", 8192)
	d := digest.FromBytes(b)
	if err := e.uploadBlob(ctx, e.Repo, d, bytesBody(b)); err != nil {
		return failErr("upload", err)
	}
	if err := verifyBlob(ctx, e, e.Repo, d, int64(len(b))); err != nil {
		return failErr("after upload", err)
	}
	return pass("201")
}

// checkUploadSinglePost sends the whole blob in the POST with ?digest= (spec "end-4b"). A
// registry may instead open a session (202), which the client must then use.
func checkUploadSinglePost(ctx context.Context, e *Env) Result {
	b := e.content("upload-single-post", 4096)
	d := digest.FromBytes(b)
	hdr := http.Header{"Content-Type": {"application/octet-stream"}}
	r, err := e.do(ctx, http.MethodPost, fmt.Sprintf("/v2/%s/blobs/uploads/?digest=%s", e.Repo, d), bytesBody(b), hdr)
	if err != nil {
		return failErr("POST", err)
	}
	switch {
	case r.Status == http.StatusCreated:
		e.trackBlob(e.Repo, d.String())
		if err := verifyBlob(ctx, e, e.Repo, d, int64(len(b))); err != nil {
			return failErr("after upload", err)
		}
		return pass("201")
	case r.Status == http.StatusAccepted:
		if loc := r.Location(); loc != "" {
			e.trackUpload(loc)
		}
		return unsupported("202: opens a session instead")
	case refused(r):
		return unsupported("%s", describe("POST", r))
	}
	return fail("%s", describe("POST", r))
}

// patch sends bytes [off, off+size) of the stream with seed as one chunk and returns the
// next Location. It checks the Range the registry reports.
func patch(ctx context.Context, e *Env, loc string, seed uint64, off, size int64) (string, error) {
	hdr := http.Header{
		"Content-Type":  {"application/octet-stream"},
		"Content-Range": {fmt.Sprintf("%d-%d", off, off+size-1)},
	}
	r, err := e.do(ctx, http.MethodPatch, loc, genBody(seed, off, size), hdr)
	if err != nil {
		return loc, err
	}
	if r.Status != http.StatusAccepted {
		return loc, fmt.Errorf("PATCH → %s", r)
	}
	if end, ok := rangeEnd(r.Header.Get("Range")); !ok || end != off+size-1 {
		return loc, fmt.Errorf("PATCH: Range %q, want 0-%d", r.Header.Get("Range"), off+size-1)
	}
	next := r.Location()
	if next == "" {
		next = loc
	}
	e.untrackUpload(loc)
	e.trackUpload(next)
	return next, nil
}

// rangeEnd parses an upload Range header "0-N" (some registries write "bytes=0-N").
func rangeEnd(h string) (int64, bool) {
	h = strings.TrimPrefix(strings.TrimSpace(h), "bytes=")
	start, end, ok := strings.Cut(h, "-")
	if !ok || start != "0" {
		return 0, false
	}
	n, err := strconv.ParseInt(end, 10, 64)
	return n, err == nil
}

func chunkMin(r *Response) int64 {
	n, _ := strconv.ParseInt(r.Header.Get("OCI-Chunk-Min-Length"), 10, 64)
	return n
}

// checkUploadChunked uploads three chunks with PATCH (spec "end-5"), honouring
// OCI-Chunk-Min-Length, then closes with an empty PUT.
func checkUploadChunked(ctx context.Context, e *Env) Result {
	loc, r, err := e.startUpload(ctx, e.Repo)
	if err != nil {
		return failErr("start", err)
	}
	minLen := chunkMin(r)
	chunk := max(minLen, 16<<10)
	size := 2*chunk + 1000
	seed := e.seedFor("upload-chunked")
	d := genDigest(seed, size, digest.SHA256)
	for off := int64(0); off < size; off += chunk {
		if loc, err = patch(ctx, e, loc, seed, off, min(chunk, size-off)); err != nil {
			return failErr("chunk", err)
		}
	}
	if _, err := e.finishUpload(ctx, e.Repo, loc, d, nil); err != nil {
		return failErr("close", err)
	}
	if err := verifyBlob(ctx, e, e.Repo, d, size); err != nil {
		return failErr("after upload", err)
	}
	if minLen > 0 {
		return pass("3 chunks; OCI-Chunk-Min-Length %d", minLen)
	}
	return pass("3 chunks; no OCI-Chunk-Min-Length")
}

// checkUploadResume sends one chunk, asks for the upload status (GET on the session, spec
// "end-13"), and continues from the offset the registry reports.
func checkUploadResume(ctx context.Context, e *Env) Result {
	loc, r, err := e.startUpload(ctx, e.Repo)
	if err != nil {
		return failErr("start", err)
	}
	chunk := max(chunkMin(r), 16<<10)
	size := chunk + 500
	seed := e.seedFor("upload-resume")
	if loc, err = patch(ctx, e, loc, seed, 0, chunk); err != nil {
		return failErr("first chunk", err)
	}
	st, err := e.do(ctx, http.MethodGet, loc, nil, nil)
	if err != nil {
		return failErr("status", err)
	}
	if st.Status != http.StatusNoContent {
		if refused(st) {
			return unsupported("%s", describe("GET upload status", st))
		}
		return fail("%s", describe("GET upload status", st))
	}
	end, ok := rangeEnd(st.Header.Get("Range"))
	if !ok || end != chunk-1 {
		return fail("status Range %q, want 0-%d", st.Header.Get("Range"), chunk-1)
	}
	if l := st.Location(); l != "" {
		e.untrackUpload(loc)
		e.trackUpload(l)
		loc = l
	}
	if loc, err = patch(ctx, e, loc, seed, end+1, size-end-1); err != nil {
		return failErr("resumed chunk", err)
	}
	d := genDigest(seed, size, digest.SHA256)
	if _, err := e.finishUpload(ctx, e.Repo, loc, d, nil); err != nil {
		return failErr("close", err)
	}
	if err := verifyBlob(ctx, e, e.Repo, d, size); err != nil {
		return failErr("after upload", err)
	}
	return pass("204 Range 0-%d, resumed", end)
}

// checkUploadCancel deletes an open upload session (spec "end-14") and checks it is gone.
func checkUploadCancel(ctx context.Context, e *Env) Result {
	loc, _, err := e.startUpload(ctx, e.Repo)
	if err != nil {
		return failErr("start", err)
	}
	if loc, err = patch(ctx, e, loc, e.seedFor("upload-cancel"), 0, 1000); err != nil {
		return failErr("chunk", err)
	}
	r, err := e.do(ctx, http.MethodDelete, loc, nil, nil)
	if err != nil {
		return failErr("DELETE upload", err)
	}
	if r.Status/100 != 2 {
		if refused(r) {
			return unsupported("%s", describe("DELETE upload", r))
		}
		return fail("%s", describe("DELETE upload", r))
	}
	e.untrackUpload(loc)
	g, err := e.do(ctx, http.MethodGet, loc, nil, nil)
	if err != nil {
		return failErr("GET cancelled upload", err)
	}
	if g.Status != http.StatusNotFound {
		return fail("cancelled upload still there: %s", describe("GET", g))
	}
	return pass("%d, then 404", r.Status)
}

// mount asks for a blob of the source repository to be mounted into the scratch one (spec
// "end-11"): 201 is a mount, 202 is the registry falling back to an ordinary upload session.
func mount(ctx context.Context, e *Env, label string, withFrom bool) Result {
	b := e.content(label, 2048)
	d, err := e.pushBlob(ctx, e.Src, typeProbeLayer, b)
	if err != nil {
		return failErr("source blob", err)
	}
	q := "mount=" + d.Digest.String()
	if withFrom {
		q += "&from=" + e.Src
	}
	r, err := e.do(ctx, http.MethodPost, fmt.Sprintf("/v2/%s/blobs/uploads/?%s", e.Repo, q), bytesBody(nil), nil)
	if err != nil {
		return failErr("POST mount", err)
	}
	switch {
	case r.Status == http.StatusCreated:
		e.trackBlob(e.Repo, d.Digest.String())
		if err := verifyBlob(ctx, e, e.Repo, d.Digest, d.Size); err != nil {
			return failErr("after mount", err)
		}
		return pass("201")
	case r.Status == http.StatusAccepted:
		if loc := r.Location(); loc != "" {
			e.trackUpload(loc)
		}
		return unsupported("202: upload session instead")
	case refused(r):
		return unsupported("%s", describe("POST mount", r))
	}
	return fail("%s", describe("POST mount", r))
}

func checkMountFrom(ctx context.Context, e *Env) Result { return mount(ctx, e, "mount-from", true) }

func checkMountAuto(ctx context.Context, e *Env) Result { return mount(ctx, e, "mount-auto", false) }
