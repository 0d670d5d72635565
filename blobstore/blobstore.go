// Package blobstore stores blob bytes by digest for the registry. A blob is only ever
// visible under its digest once it is complete and verified: verified while it was written
// (Put), or checked by the caller against the upload's hash before Commit. Nothing here
// knows repositories or tags; the metadata store (package metadata) decides who may read a
// blob and what is garbage.
//
// The interface fits stores without hard links or renames (S3): an upload session is an
// opaque state the store hands back after each Append, kept by the caller (in the metadata
// database), so any process can continue it. blobstoretest is the test table every store
// must pass; fs is the filesystem store.
package blobstore

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/opencontainers/go-digest"
)

// Sentinel errors; stores wrap them with context.
var (
	ErrNotFound = errors.New("blob not found")
	// ErrDigestMismatch: the bytes written are not the digest they were put under.
	ErrDigestMismatch = errors.New("content does not match digest")
	// ErrSizeMismatch: the bytes written are not the size they were put with.
	ErrSizeMismatch = errors.New("content does not match size")
	// ErrUploadGone: an upload session's bytes are missing (cancelled, collected, or never
	// written by this store).
	ErrUploadGone = errors.New("upload session data missing")
)

// Info describes a stored blob.
type Info struct {
	Digest  digest.Digest
	Size    int64
	ModTime time.Time
}

// UploadInfo describes an upload session's bytes as the store sees them.
type UploadInfo struct {
	ID      string
	Size    int64
	ModTime time.Time
}

// Store holds blobs by digest. Methods are safe for concurrent use; one upload session is
// written by one request at a time (the caller serialises).
type Store interface {
	// Stat describes blob d; missing wraps ErrNotFound.
	Stat(ctx context.Context, d digest.Digest) (Info, error)
	// Open opens blob d for reading with Seek (Range requests). The filesystem store
	// returns an *os.File, so a full or ranged GET can use sendfile.
	Open(ctx context.Context, d digest.Digest) (io.ReadSeekCloser, Info, error)
	// Put stores r as blob d, hashing while writing. size < 0: unknown. On a digest or size
	// mismatch nothing becomes visible and the error wraps ErrDigestMismatch or
	// ErrSizeMismatch. Putting a blob that exists is not an error. It returns the bytes
	// read from r.
	Put(ctx context.Context, d digest.Digest, size int64, r io.Reader) (int64, error)
	// Delete removes blob d; missing is not an error.
	Delete(ctx context.Context, d digest.Digest) error
	// Walk calls fn for every stored blob, in no particular order.
	Walk(ctx context.Context, fn func(Info) error) error

	// StartUpload begins session id (hex, chosen by the caller) and returns its state. A
	// store may keep nothing for a session until its first Append (at offset 0), so that
	// a session completed without one (its whole blob sent in the final request) costs it
	// nothing.
	StartUpload(ctx context.Context, id string) (state []byte, err error)
	// Append writes r at offset (the session's acknowledged size; anything the session
	// holds beyond offset, from a write that was not acknowledged, is discarded first) and
	// returns how many bytes it wrote and the new state. If hash is not nil it sees exactly
	// the bytes written. On an error, the session is still valid at offset with the old
	// state.
	Append(ctx context.Context, id string, state []byte, offset int64, r io.Reader, hash io.Writer) (n int64, newState []byte, err error)
	// ReadUpload reads the first size bytes of the session (to hash them with another
	// algorithm than the one used while writing).
	ReadUpload(ctx context.Context, id string, state []byte, size int64) (io.ReadCloser, error)
	// Commit makes the session's first size bytes blob d. The caller has checked the
	// bytes against d. The session is gone afterwards. If the session's bytes are missing
	// but blob d exists (a completion retried after a crash), it is not an error.
	Commit(ctx context.Context, id string, state []byte, d digest.Digest, size int64) error
	// Abort removes session id's bytes; missing is not an error.
	Abort(ctx context.Context, id string, state []byte) error
	// WalkUploads calls fn for every session's bytes (to remove those no session record
	// names any more); a session never appended to may be missing.
	WalkUploads(ctx context.Context, fn func(UploadInfo) error) error
}

// Streamer is an optional capability of a Store (found by type assertion) for long uploads:
// appending without making each piece durable at once, and making a prefix durable
// separately, so that a server can acknowledge progress in the background while it goes on
// receiving.
type Streamer interface {
	// AppendUnsynced is Append, except the bytes are durable only once a SyncUpload
	// covers them.
	AppendUnsynced(ctx context.Context, id string, state []byte, offset int64, r io.Reader, hash io.Writer) (n int64, newState []byte, err error)
	// SyncUpload makes the session's first size bytes durable; it may run while an
	// AppendUnsynced writes further on.
	SyncUpload(ctx context.Context, id string, state []byte, size int64) error
}

// Redirector is an optional capability of a Store whose blobs clients can fetch directly
// (an object store's presigned URLs), so a registry can answer a blob GET with a redirect
// instead of relaying the bytes.
type Redirector interface {
	// BlobURL is a URL, valid for ttl, from which a plain HTTP GET (with Range) reads blob d.
	BlobURL(ctx context.Context, d digest.Digest, ttl time.Duration) (string, error)
}
