package registry

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/metadata"
)

// Upload sessions live in the metadata store (repository, acknowledged size, hash state,
// the blob store's state) and their bytes in the blob store, so a session survives a
// restart and any server sharing the stores can take its next request. A chunk is
// acknowledged only once the metadata records the new size: bytes of a chunk that failed or
// was refused are cut off by the next write, never appended. Completion checks the hash,
// moves the bytes under the digest and records the blob in one step per store, in an order
// that a crash at any point leaves either the session (retry the PUT) or the blob.

// session reads upload id of repository name; another repository's session is unknown.
func (h *Handler) session(ctx context.Context, rt route) (metadata.Upload, error) {
	if !validUploadID(rt.ref) {
		return metadata.Upload{}, errf(ErrUploadUnknown, "upload %q", rt.ref)
	}
	u, err := h.st.Meta.Upload(ctx, rt.ref)
	if err != nil {
		return u, err
	}
	if u.Repo != rt.name {
		return u, errf(ErrUploadUnknown, "upload %s", rt.ref)
	}
	return u, nil
}

// lockedSession is the request's hold on upload rt.ref: taken over from this server's tail
// of the session if it has one (see checkpoint.go), else with the session's lock, the session
// read once the lock is held. A session another request is writing answers 416 with its
// acknowledged Range.
func (h *Handler) lockedSession(w http.ResponseWriter, r *http.Request, rt route) (*hold, error) {
	if !validUploadID(rt.ref) {
		return nil, errf(ErrUploadUnknown, "upload %q", rt.ref)
	}
	if s := h.tails.take(rt.ref, rt.name); s != nil {
		return s, nil
	}
	unlock, ok, err := h.st.lockSession(r.Context(), rt.ref, sessionLockWait)
	if err != nil {
		return nil, err
	}
	if !ok {
		u, err := h.session(r.Context(), rt)
		if err != nil {
			return nil, err
		}
		w.Header().Set("Location", "/v2/"+rt.name+"/blobs/uploads/"+u.ID)
		w.Header().Set("Range", rangeHeader(u.Size))
		return nil, errf(ErrRangeInvalid, "upload %s is being written by another request", u.ID)
	}
	u, err := h.session(r.Context(), rt)
	if err != nil {
		unlock()
		return nil, err
	}
	return &hold{u: u, ck: newCheckpoints(h.st, r.Context(), u), unlock: unlock}, nil
}

func (h *Handler) uploadStatus(w http.ResponseWriter, r *http.Request, rt route) error {
	u, err := h.session(r.Context(), rt)
	if err != nil {
		return err
	}
	if acked, ok := h.tails.acked(u.ID); ok {
		u.Size = acked // written, and being recorded right now
	}
	return uploadAccepted(w, rt.name, u.ID, u.Size, http.StatusNoContent)
}

func (h *Handler) cancelUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	u, err := h.session(r.Context(), rt)
	if err != nil {
		return err
	}
	if err := h.st.Meta.DeleteUpload(r.Context(), u.ID); err != nil {
		return err
	}
	h.st.Blobs.Abort(context.WithoutCancel(r.Context()), u.ID, u.BlobState)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseContentRange parses an upload chunk's Content-Range "start-end" (inclusive; a
// "bytes " prefix and a "/total" suffix are tolerated).
func parseContentRange(s string) (start, end int64, err error) {
	v := strings.TrimPrefix(strings.TrimSpace(s), "bytes ")
	v, _, _ = strings.Cut(v, "/")
	a, b, ok := strings.Cut(v, "-")
	if ok {
		start, err = strconv.ParseInt(a, 10, 64)
	}
	if ok && err == nil {
		end, err = strconv.ParseInt(b, 10, 64)
	}
	if !ok || err != nil || start < 0 || end < start {
		return 0, 0, errf(ErrUploadInvalid, "Content-Range %q is not start-end", s)
	}
	return start, end, nil
}

// checkChunk validates a chunk's Content-Range against the session: garbage → 400, a range
// not starting where the session ends → 416 with the session's Range and Location. want is
// the chunk's length, or -1 if the request has no Content-Range.
func checkChunk(w http.ResponseWriter, r *http.Request, rt route, u metadata.Upload) (want int64, err error) {
	cr := r.Header.Get("Content-Range")
	if cr == "" {
		return -1, nil
	}
	start, end, err := parseContentRange(cr)
	if err != nil {
		return 0, err
	}
	if start != u.Size {
		w.Header().Set("Location", "/v2/"+rt.name+"/blobs/uploads/"+u.ID)
		w.Header().Set("Range", rangeHeader(u.Size))
		return 0, errf(ErrRangeInvalid, "chunk starts at %d, upload has %d bytes", start, u.Size)
	}
	n := end - start + 1
	if r.ContentLength >= 0 && r.ContentLength != n {
		return 0, errf(ErrUploadInvalid, "Content-Range %q but Content-Length %d", cr, r.ContentLength)
	}
	return n, nil
}

// sessionHash is the session's hash after its acknowledged bytes and its algorithm (for an
// empty session: alg, or sha256); nil if the state cannot continue (then the bytes are read
// again at completion).
func sessionHash(u metadata.Upload, alg digest.Algorithm) (hash.Hash, digest.Algorithm) {
	if u.Size == 0 {
		if alg == "" || !alg.Available() {
			alg = digest.SHA256
		}
		return alg.Hash(), alg
	}
	if u.HashAlg == "" || !u.HashAlg.Available() || u.HashState == nil {
		return nil, ""
	}
	h := u.HashAlg.Hash()
	if um, ok := h.(encoding.BinaryUnmarshaler); !ok || um.UnmarshalBinary(u.HashState) != nil {
		return nil, ""
	}
	return h, u.HashAlg
}

// A long request body is acknowledged as it comes: a connection broken in the middle of a
// large chunk keeps what was acknowledged, and the client resumes from the session's Range.
// A checkpoint may be taken every checkpointEvery bytes, at most once per checkpointInterval
// (each costs a sync of the data and a database commit, which a fast upload should not pay
// 64 times a GiB). With a blob store that can append without syncing (blobstore.Streamer),
// checkpoints run in the background while the body keeps coming, so receiving never waits
// for the disk, and the last one of a PATCH runs after its answer (checkpoint.go).
const (
	checkpointEvery    = 16 << 20
	checkpointInterval = time.Second
	// tailMin is the smallest chunk whose last checkpoint runs after the answer; a smaller
	// one is recorded before it (its sync is short, and nothing would overlap it).
	tailMin = 1 << 20
)

// appendChunk writes the request body to session s and acknowledges it in the metadata,
// every checkpointEvery bytes and at the end. A body that ends cleanly but is not the length
// Content-Range announced is refused and none of it stays acknowledged. It returns the
// session as acknowledged. Unless final (a completing PUT, which needs every byte recorded),
// the last checkpoint is handed to a tail that records it after the answer.
func (h *Handler) appendChunk(w http.ResponseWriter, r *http.Request, rt route, s *hold, alg digest.Algorithm, final bool) (metadata.Upload, error) {
	u, ck := s.u, s.ck
	want, err := checkChunk(w, r, rt, u)
	if err != nil {
		return u, err
	}
	ctx := r.Context()
	hs, halg := sessionHash(u, alg)
	var hw io.Writer
	if hs != nil {
		hw = hs
	}
	body := io.Reader(r.Body)
	if want >= 0 {
		body = io.LimitReader(r.Body, want+1)
	}
	appendTo := h.st.Blobs.Append
	if ck.streamer != nil {
		appendTo = ck.streamer.AppendUnsynced
	}
	cur := u
	var total int64
	for {
		n, state, err := appendTo(ctx, cur.ID, cur.BlobState, cur.Size, io.LimitReader(body, checkpointEvery), hw)
		if err != nil {
			return h.keep(ck, u, false), err // what was recorded of the body stays
		}
		total += n
		cur = advance(cur, n, state, hs, halg)
		if n == checkpointEvery { // more may follow
			ck.offer(cur)
			continue
		}
		break
	}
	if want >= 0 && total != want {
		return h.keep(ck, u, true), errf(ErrUploadInvalid, "chunk has %d bytes or more, Content-Range said %d", total, want)
	}
	ck.wait() // checkpoints never queue up behind the answers
	if ck.err != nil {
		return ck.recorded, ck.err
	}
	if !final && ck.streamer != nil && total >= tailMin {
		h.tails.handOff(s, cur)
		return cur, nil
	}
	if cur.Size != ck.recorded.Size {
		ck.run(cur)
	}
	return ck.recorded, ck.err
}

// keep records at least u, what was acknowledged before a request that failed or was
// refused, and returns the session as recorded: u acknowledged but not yet recorded (a tail
// taken over) is synced and recorded; with back, a checkpoint of the request past u is set
// back to u (whose bytes it made durable too).
func (h *Handler) keep(ck *checkpoints, u metadata.Upload, back bool) metadata.Upload {
	ck.wait()
	switch {
	case ck.err != nil:
	case ck.recorded.Size < u.Size:
		ck.run(u)
	case back && ck.recorded.Size > u.Size:
		if h.st.Meta.UpdateUpload(ck.ctx, u, ck.recorded.Size) == nil {
			ck.recorded = u
		}
	}
	return ck.recorded
}

// advance is session u after n more bytes, with the blob store's new state and the hash
// (nil: unknown, re-read at completion).
func advance(u metadata.Upload, n int64, state []byte, hs hash.Hash, alg digest.Algorithm) metadata.Upload {
	u.Size += n
	u.BlobState = state
	u.HashAlg, u.HashState = "", nil
	if m, ok := hs.(encoding.BinaryMarshaler); ok {
		if st, err := m.MarshalBinary(); err == nil {
			u.HashAlg, u.HashState = alg, st
		}
	}
	return u
}

func (h *Handler) patchUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	s, err := h.lockedSession(w, r, rt)
	if err != nil {
		return err
	}
	defer s.release()
	u, err := h.appendChunk(w, r, rt, s, "", false)
	if err != nil {
		return h.sessionError(r, u, err)
	}
	return uploadAccepted(w, rt.name, u.ID, u.Size, http.StatusAccepted)
}

func (h *Handler) putUpload(w http.ResponseWriter, r *http.Request, rt route) error {
	d, err := parseDigest(r.URL.Query().Get("digest"))
	if err != nil {
		return err
	}
	s, err := h.lockedSession(w, r, rt)
	if err != nil {
		return err
	}
	defer s.release()
	ctx := r.Context()
	u := s.u
	// A retry of a completion whose answer was lost finishes that completion; its body (if
	// any) is a chunk acknowledged before, so it is read and dropped.
	finishRetry := func() error {
		io.Copy(io.Discard, r.Body)
		if err := s.settle(); err != nil {
			return err
		}
		if err := h.finish(ctx, u, d); err != nil {
			return err
		}
		return blobCreated(w, rt.name, d)
	}
	if u.Size == 0 && r.Header.Get("Content-Range") == "" {
		// Nothing acknowledged yet: the body is the whole blob (POST, then one PUT). The
		// session's record goes in the transaction that links the blob.
		err := h.putDirect(ctx, rt.name, d, r.ContentLength, r.Body, u.ID)
		switch {
		case err == nil:
			h.st.Blobs.Abort(context.WithoutCancel(ctx), u.ID, u.BlobState)
		case errors.Is(err, ErrDigestInvalid):
			h.dropSession(ctx, u)
		}
		if err != nil {
			return err
		}
		return blobCreated(w, rt.name, d)
	}
	if u.Size > 0 && hashedAs(u, d) {
		// What the session acknowledged is d already: any other non-empty body could not
		// make the content d.
		return finishRetry()
	}
	u, err = h.appendChunk(w, r, rt, s, d.Algorithm(), true)
	if errors.Is(err, blobstore.ErrUploadGone) {
		// The bytes were moved under the digest by a completion cut between the two
		// stores (a crash): if blob d is there, finish it.
		if _, serr := h.st.Blobs.Stat(ctx, d); serr == nil {
			return finishRetry()
		}
	}
	if err != nil {
		return h.sessionError(r, u, err)
	}
	if err := h.verify(ctx, u, d); err != nil {
		if errors.Is(err, ErrDigestInvalid) {
			h.dropSession(ctx, u)
		}
		return err
	}
	if err := h.finish(ctx, u, d); err != nil {
		return err
	}
	return blobCreated(w, rt.name, d)
}

// sessionError forgets a session whose bytes the blob store lost, so the client starts again.
func (h *Handler) sessionError(r *http.Request, u metadata.Upload, err error) error {
	if errors.Is(err, blobstore.ErrUploadGone) {
		h.dropSession(r.Context(), u)
		return errf(ErrUploadUnknown, "upload %s: %v", u.ID, err)
	}
	return err
}

func (h *Handler) dropSession(ctx context.Context, u metadata.Upload) {
	ctx = context.WithoutCancel(ctx)
	h.st.Meta.DeleteUpload(ctx, u.ID)
	h.st.Blobs.Abort(ctx, u.ID, u.BlobState)
}

// hashedAs reports whether the session's hash state says its acknowledged bytes are d.
func hashedAs(u metadata.Upload, d digest.Digest) bool {
	hs, alg := sessionHash(u, "")
	return hs != nil && alg == d.Algorithm() && digest.NewDigest(alg, hs) == d
}

// verify checks the session's acknowledged bytes against d, from the hash state when it is
// of d's algorithm, else by reading them again.
func (h *Handler) verify(ctx context.Context, u metadata.Upload, d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return errf(ErrDigestInvalid, "%q: %v", d, err)
	}
	var got digest.Digest
	if hs, alg := sessionHash(u, ""); hs != nil && alg == d.Algorithm() {
		got = digest.NewDigest(alg, hs)
	} else if u.Size == 0 {
		got = d.Algorithm().FromBytes(nil)
	} else {
		rc, err := h.st.Blobs.ReadUpload(ctx, u.ID, u.BlobState, u.Size)
		if err != nil {
			return err
		}
		got, err = d.Algorithm().FromReader(rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	if got != d {
		return errf(ErrDigestInvalid, "upload content is %s, not %s", got, d)
	}
	return nil
}

// finish makes the verified session blob d of its repository: the bytes go under the digest,
// then the metadata drops the session and links the blob, both under the blob's lock so
// garbage collection cannot remove the bytes in between.
func (h *Handler) finish(ctx context.Context, u metadata.Upload, d digest.Digest) error {
	ctx = context.WithoutCancel(ctx) // the client may go; the completion is finished
	unlock, err := h.st.Meta.LockBlob(ctx, d)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := h.st.Blobs.Stat(ctx, d); err == nil {
		// Stored already (verified when it was written): the session's bytes, verified
		// as d too, are not needed; replacing the file would only cost the disk.
		if err := h.st.Blobs.Abort(ctx, u.ID, u.BlobState); err != nil {
			return err
		}
	} else if err := h.st.Blobs.Commit(ctx, u.ID, u.BlobState, d, u.Size); err != nil {
		return err
	}
	if testHookCommitted != nil {
		if err := testHookCommitted(); err != nil {
			return err
		}
	}
	return h.link(ctx, u.Repo, d, u.Size, u.ID)
}

// testHookCommitted runs between the blob store's commit and the metadata's record of it;
// an error stops the completion there, as a crash would.
var testHookCommitted func() error

// putMonolithic stores a single-request upload (POST ?digest=).
func (h *Handler) putMonolithic(w http.ResponseWriter, r *http.Request, rt route, d digest.Digest) error {
	if err := h.putDirect(r.Context(), rt.name, d, r.ContentLength, r.Body, ""); err != nil {
		return err
	}
	return blobCreated(w, rt.name, d)
}

// putDirect stores body, the whole blob, with the blob store's Put, which verifies it while
// writing (an object store writes it straight under its digest), then links it to repo and
// removes the record of upload session (if not "") in the same transaction.
//
// A blob stored already (pushed before to another repository) is only read and verified,
// not written again: the stored file was verified when it was written, and replacing it
// would cost a new file, a flush and the old file's removal for the same bytes. Its lock is
// held from the check to the record, so garbage collection cannot take it in between. A
// blob stored anew is younger than any grace period, so the lock is taken only for the
// record.
func (h *Handler) putDirect(ctx context.Context, repo string, d digest.Digest, size int64, body io.Reader, session string) error {
	if err := d.Validate(); err != nil {
		return errf(ErrDigestInvalid, "%q: %v", d, err)
	}
	locked, stored := false, false
	var n int64
	if _, err := h.st.Blobs.Stat(ctx, d); err == nil {
		unlock, err := h.st.Meta.LockBlob(context.WithoutCancel(ctx), d)
		if err != nil {
			return err
		}
		defer unlock()
		locked = true
		// again under the lock: a collection may have removed it before (then it is stored
		// anew, still locked)
		if info, err := h.st.Blobs.Stat(ctx, d); err == nil {
			stored, n = true, info.Size
		}
	}
	var err error
	if stored {
		err = checkBody(d, size, body)
	} else {
		n, err = h.st.Blobs.Put(ctx, d, size, body)
	}
	switch {
	case errors.Is(err, blobstore.ErrDigestMismatch):
		return errf(ErrDigestInvalid, "%v", err)
	case errors.Is(err, blobstore.ErrSizeMismatch):
		return errf(ErrSizeInvalid, "%v", err)
	case err != nil:
		return err
	}
	if testHookStored != nil {
		testHookStored()
	}
	if locked {
		return h.link(ctx, repo, d, n, session)
	}
	return h.record(ctx, repo, d, n, session)
}

// checkBuf holds the read buffers of checkBody.
var checkBuf = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// checkBody reads body to its end and reports whether it is blob d, of size bytes when size
// is not negative, without storing it; a mismatch wraps the blob store's errors for one, as
// a Put's would.
func checkBody(d digest.Digest, size int64, body io.Reader) error {
	h := d.Algorithm().Hash()
	buf := checkBuf.Get().(*[]byte)
	defer checkBuf.Put(buf)
	n, err := io.CopyBuffer(h, blobstore.Bounded(body, size), *buf)
	if err != nil {
		return fmt.Errorf("put %s: %w", d, err)
	}
	return blobstore.Check(d, size, n, h)
}

// testHookStored runs in putDirect between the blob store's Put (or the check of a blob
// stored already) and the record of the blob.
var testHookStored func()

// record links blob d, which the blob store holds, to repo (and removes the record of upload
// session, if not ""), under the blob's lock: garbage collection cannot remove the bytes
// between the check and the record.
func (h *Handler) record(ctx context.Context, repo string, d digest.Digest, size int64, session string) error {
	ctx = context.WithoutCancel(ctx) // the bytes are stored; finish
	unlock, err := h.st.Meta.LockBlob(ctx, d)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := h.st.Blobs.Stat(ctx, d); err != nil {
		return fmt.Errorf("blob %s was collected while it was being stored, push it again: %w", d, err)
	}
	return h.link(ctx, repo, d, size, session)
}

// link links stored blob d to repo (and removes the record of upload session, if not ""),
// for a caller that holds d's lock.
func (h *Handler) link(ctx context.Context, repo string, d digest.Digest, size int64, session string) error {
	ctx = context.WithoutCancel(ctx) // the bytes are stored; finish
	if session != "" {
		return h.st.Meta.CompleteUpload(ctx, session, repo, d, size)
	}
	return h.st.Meta.LinkBlob(ctx, repo, d, size)
}
