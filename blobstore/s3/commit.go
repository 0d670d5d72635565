package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/eopack/eopack/blobstore"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"
)

// Commit makes the session's first size bytes blob d: the session's bytes become one object
// (complete), of which the first size bytes are copied server-side to d's key; then the
// session's objects are removed. Copying onto a blob that exists is harmless: both are verified bytes of d. If the
// session is gone but blob d exists (a completion retried after a crash), it is not an error.
func (s *Store) Commit(ctx context.Context, id string, state []byte, d digest.Digest, size int64) error {
	st, err := s.session(id, state)
	if err != nil {
		return err
	}
	dst, err := s.blobKey(d)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("upload %s: negative size %d", id, size)
	}
	if size > st.end {
		return gone(id, fmt.Sprintf("holds %d of %d bytes", st.end, size))
	}
	if st.fresh { // never appended to: the empty blob
		if _, err := s.Put(ctx, d, 0, bytes.NewReader(nil)); err != nil {
			return fmt.Errorf("commit %s: %w", d, err)
		}
		return nil
	}
	src, etag, err := s.complete(ctx, id, st)
	if err == nil {
		err = s.copy(ctx, id, src, etag, st.end, dst, size)
	}
	if errors.Is(err, blobstore.ErrUploadGone) {
		if _, serr := s.Stat(ctx, d); serr == nil {
			err = nil // committed before
		}
	}
	if err != nil {
		return fmt.Errorf("commit %s: %w", d, err)
	}
	// Best effort: what is left is an abandoned session to WalkUploads.
	s.removeSession(ctx, id, st.uploadID)
	return nil
}

// complete makes session st's bytes one object and returns its key and the ETag to read it
// with ("" for none): while the session has no parts, the tail itself; else its multipart
// upload, the tail as the last part, completed at uploads/<id>/data. A data object of the
// session's size is a completion done before (by ReadUpload, or a Commit that failed later).
func (s *Store) complete(ctx context.Context, id string, st *state) (key, etag string, err error) {
	if st.uploadID == "" {
		return s.tailKey(id, st.end), st.tailETag, nil
	}
	key = s.dataKey(id)
	if done, err := s.completed(ctx, id, key, st.end); done || err != nil {
		return key, "", err
	}
	var parts []types.CompletedPart
	for i, p := range st.parts {
		parts = append(parts, types.CompletedPart{ETag: aws.String(p.etag), PartNumber: aws.Int32(int32(i + 1))})
	}
	if n := st.end - st.partsSize(); n > 0 {
		buf := getBuf(len(st.parts) + 1)
		defer putBuf(buf)
		if err := s.readTail(ctx, id, st, n, buf); err != nil {
			return "", "", err
		}
		etag, err := s.uploadPart(ctx, key, st.uploadID, len(parts)+1, *buf)
		if err != nil && !isNoUpload(err) {
			return "", "", fmt.Errorf("upload %s: last part: %w", id, err)
		}
		parts = append(parts, types.CompletedPart{ETag: &etag, PartNumber: aws.Int32(int32(len(parts) + 1))})
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &key, UploadId: &st.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if isNoUpload(err) {
		if done, err := s.completed(ctx, id, key, st.end); done || err != nil {
			return key, "", err
		}
		return "", "", gone(id, "multipart upload aborted")
	}
	if err != nil {
		return "", "", fmt.Errorf("upload %s: complete: %w", id, err)
	}
	return key, "", nil
}

// completed reports whether the data object at key exists; with another size than the
// session's, it is an error wrapping blobstore.ErrUploadGone.
func (s *Store) completed(ctx context.Context, id, key string, size int64) (bool, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	switch {
	case isNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("upload %s: %w", id, err)
	case aws.ToInt64(out.ContentLength) != size:
		return false, gone(id, fmt.Sprintf("completed with %d bytes, not %d", aws.ToInt64(out.ContentLength), size))
	}
	return true, nil
}

// copy copies the first size bytes of src, an object of srcSize bytes with ETag etag (if
// not ""), to dst server-side: one CopyObject for a whole src up to maxCopy, else a multipart
// upload of UploadPartCopy ranges. A missing or replaced src wraps blobstore.ErrUploadGone.
func (s *Store) copy(ctx context.Context, id, src, etag string, srcSize int64, dst string, size int64) error {
	switch {
	case size == srcSize && size <= s.maxCopy:
		_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &s.bucket, Key: &dst,
			CopySource: s.copySource(src), CopySourceIfMatch: ifMatch(etag)})
		return s.tailErr(id, err)
	case size == 0: // no range to copy
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &dst, Body: bytes.NewReader(nil)})
		return err
	}
	mpu, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &dst})
	if err != nil {
		return err
	}
	partLen := max(s.copyPart, (size+maxParts-1)/maxParts)
	parts := make([]types.CompletedPart, (size+partLen-1)/partLen)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := range parts {
		g.Go(func() error {
			first := int64(i) * partLen
			last := min(first+partLen, size) - 1
			out, err := s.client.UploadPartCopy(gctx, &s3.UploadPartCopyInput{Bucket: &s.bucket, Key: &dst,
				UploadId: mpu.UploadId, PartNumber: aws.Int32(int32(i + 1)), CopySource: s.copySource(src),
				CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)), CopySourceIfMatch: ifMatch(etag)})
			if err != nil {
				return s.tailErr(id, err)
			}
			parts[i] = types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(int32(i + 1))}
			return nil
		})
	}
	err = g.Wait()
	if err == nil {
		_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &s.bucket, Key: &dst,
			UploadId: mpu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	}
	if err != nil {
		s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
			Bucket: &s.bucket, Key: &dst, UploadId: mpu.UploadId})
	}
	return err
}

// Abort removes session id: its multipart uploads and its objects. Missing is not an error.
func (s *Store) Abort(ctx context.Context, id string, state []byte) error {
	if !validID(id) {
		return fmt.Errorf("upload %q: %w", id, ErrInvalidID)
	}
	var uploadID string
	if st, err := decodeState(state); err == nil {
		if st.fresh {
			// Nothing was appended: no object. Those of an Append never recorded, if
			// any, are found by WalkUploads once the session record is gone.
			return nil
		}
		if st.uploadID == "" && st.end == 0 && len(st.parts) == 0 {
			// Only tail-0 is there: from an empty first Append, or the start marker of
			// a session started when StartUpload still wrote one. Objects of an Append
			// never recorded, if any, are found by WalkUploads once the record is gone.
			if err := s.deleteKey(ctx, s.tailKey(id, 0)); err != nil {
				return fmt.Errorf("abort upload %s: %w", id, err)
			}
			return nil
		}
		uploadID = st.uploadID
	}
	if err := s.removeSession(ctx, id, uploadID); err != nil {
		return fmt.Errorf("abort upload %s: %w", id, err)
	}
	return nil
}

// removeSession aborts session id's multipart uploads, uploadID and any that Appends never
// recorded started, and deletes every object under uploads/<id>/.
func (s *Store) removeSession(ctx context.Context, id, uploadID string) error {
	dir := s.uploadDir(id)
	type mpu struct{ key, id string }
	var mpus []mpu
	if uploadID != "" {
		mpus = append(mpus, mpu{s.dataKey(id), uploadID})
	}
	err := s.listUploads(ctx, dir, func(key, uid string, _ time.Time) error {
		if uid != uploadID {
			mpus = append(mpus, mpu{key, uid})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range mpus {
		_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &u.key, UploadId: &u.id})
		if err != nil && !isNoUpload(err) {
			return err
		}
	}
	return s.list(ctx, dir, func(key string, _ int64, _ time.Time) error { return s.deleteKey(ctx, key) })
}

// listUploads calls fn for every multipart upload under prefix.
func (s *Store) listUploads(ctx context.Context, prefix string, fn func(key, uploadID string, initiated time.Time) error) error {
	pages := s3.NewListMultipartUploadsPaginator(s.client, &s3.ListMultipartUploadsInput{Bucket: &s.bucket, Prefix: &prefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list uploads %s: %w", prefix, err)
		}
		for _, u := range page.Uploads {
			if err := fn(aws.ToString(u.Key), aws.ToString(u.UploadId), aws.ToTime(u.Initiated)); err != nil {
				return err
			}
		}
	}
	return nil
}

// WalkUploads calls fn once for every session that has objects or multipart uploads under
// uploads/, in id order. Size is the end of its newest tail (or its completed data);
// ModTime is the newest of its objects' times and its uploads' start times, so a collector
// can tell abandoned sessions.
func (s *Store) WalkUploads(ctx context.Context, fn func(blobstore.UploadInfo) error) error {
	dir := s.prefix + "uploads/"
	sessions := map[string]*blobstore.UploadInfo{}
	note := func(key string, size int64, mod time.Time) error {
		id, name, ok := strings.Cut(strings.TrimPrefix(key, dir), "/")
		if !ok || !validID(id) {
			return nil
		}
		u := sessions[id]
		if u == nil {
			u = &blobstore.UploadInfo{ID: id}
			sessions[id] = u
		}
		if mod.After(u.ModTime) {
			u.ModTime = mod
		}
		if end, ok := strings.CutPrefix(name, "tail-"); ok {
			size, _ = strconv.ParseInt(end, 10, 64)
		}
		u.Size = max(u.Size, size)
		return nil
	}
	if err := s.list(ctx, dir, note); err != nil {
		return err
	}
	err := s.listUploads(ctx, dir, func(key, _ string, initiated time.Time) error { return note(key, 0, initiated) })
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(sessions))
	for id := range sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := fn(*sessions[id]); err != nil {
			return err
		}
	}
	return nil
}
