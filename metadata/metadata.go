// Package metadata is the registry's metadata store: repositories, manifests (with their
// media type, artifactType, subject and annotations), tags, referrer edges, which blobs each
// repository may read, and upload sessions. Every change is one transaction, so a manifest
// PUT with its tags, a tag move, a delete or an upload completion is seen whole or not at all,
// and concurrent changes cannot leave a tag pointing at nothing.
//
// Engines live in sub-packages and share one SQL implementation (sqlstore); the SQL they run
// is the subset SQLite and PostgreSQL both speak. metadatatest is the one test table every
// engine must pass.
//
// Blob bytes are not kept here: they live in a blobstore.Store. The metadata records a blob
// only after the blob store holds it complete and verified.
package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/stacindex"
)

// Sentinel errors; engines wrap them with context (fmt.Errorf("%s: %w", d, ErrBlobUnknown)).
var (
	ErrNameUnknown     = errors.New("repository not known")
	ErrManifestUnknown = errors.New("manifest not known")
	ErrBlobUnknown     = errors.New("blob not known")
	ErrUploadUnknown   = errors.New("upload session not known")
	// ErrConflict: an upload session changed since it was read (another request wrote to it).
	ErrConflict = errors.New("concurrent change")
	// ErrReferenceMissing: a manifest names a blob or child manifest the repository lacks.
	// Wrapped in a *MissingError naming the digest.
	ErrReferenceMissing = errors.New("manifest references something the repository does not hold")
)

// MissingError says which digest a manifest PUT referenced but the repository lacks.
type MissingError struct {
	Digest digest.Digest
	Child  bool // a child manifest of an index (false: a config or layer blob)
}

func (e *MissingError) Error() string {
	if e.Child {
		return "child manifest " + e.Digest.String() + " not in repository"
	}
	return "blob " + e.Digest.String() + " not in repository"
}

func (e *MissingError) Unwrap() error { return ErrReferenceMissing }

// Manifest is one manifest of a repository, its body included (at most the registry's
// manifest limit, 4 MiB).
type Manifest struct {
	Digest       digest.Digest
	MediaType    string
	ArtifactType string // the manifest's artifactType, else (image manifests) its config's media type
	Size         int64
	Subject      digest.Digest     // "" if none
	Annotations  map[string]string // the manifest's own annotations
	Body         []byte
	Created      time.Time
}

// PutManifest is one manifest PUT: the manifest, the blobs and child manifests it needs in
// the repository, and the tags to point at it.
type PutManifest struct {
	Repo     string
	Manifest Manifest
	Blobs    []digest.Digest // config and layers that must be linked to Repo (foreign layers left out)
	Children []digest.Digest // manifests of an index that must be manifests of Repo
	Tags     []string        // each set (or moved) to this manifest
	// Product and Collection are the STAC index's record of an EO product or of a STAC
	// Collection document (nil: none); engines that keep the index write it in the
	// manifest's own transaction when the manifest is new.
	Product    *stacindex.Entry
	Collection *stacindex.CollectionDoc
}

// Referrer is a manifest whose subject is the asked digest, as the referrers API lists it.
type Referrer struct {
	Digest       digest.Digest
	MediaType    string
	ArtifactType string
	Size         int64
	// Annotations are the manifest's annotations as a JSON object with its keys sorted (as
	// encoding/json writes a map), nil if it has none: a list of thousands of referrers is
	// passed through without decoding each one.
	Annotations json.RawMessage
}

// Upload is a blob upload session. Any server sharing the store can continue it: the hash
// state and the blob store's own state (BlobState) travel with it.
type Upload struct {
	ID        string
	Repo      string
	Size      int64            // bytes received and acknowledged
	HashAlg   digest.Algorithm // algorithm HashState belongs to ("" before the first byte)
	HashState []byte           // encoding.BinaryMarshaler state of the hash after Size bytes
	BlobState []byte           // opaque to metadata: what the blob store needs to continue
	Created   time.Time
	Updated   time.Time
}

// Store is the metadata of a registry. Methods are safe for concurrent use, by goroutines
// and (for engines that allow it) by several processes sharing one database.
type Store interface {
	// Repositories lists repository names after `after` in byte order, at most limit
	// (limit < 0: all). A repository exists while it holds a manifest or a blob link.
	Repositories(ctx context.Context, after string, limit int) ([]string, error)
	// Tags lists repo's tags after `after` in byte order, at most limit (limit < 0: all).
	// A repository that does not exist wraps ErrNameUnknown.
	Tags(ctx context.Context, repo, after string, limit int) ([]string, error)

	// Manifest finds manifest reference (a tag, or a digest string) of repo; absent (or repo
	// absent) wraps ErrManifestUnknown.
	Manifest(ctx context.Context, repo, reference string) (Manifest, error)
	// PutManifest stores a manifest and sets its tags in one transaction, creating the
	// repository if needed. A blob not linked to the repository or a child that is not one
	// of its manifests fails with a *MissingError and changes nothing. Putting a manifest
	// that exists only (re)sets the tags. A tag moved away from a manifest leaves that
	// manifest in place, untagged.
	PutManifest(ctx context.Context, p PutManifest) error
	// DeleteManifest removes manifest d of repo and every tag pointing at it; absent wraps
	// ErrManifestUnknown. A repository left empty is dropped.
	DeleteManifest(ctx context.Context, repo string, d digest.Digest) error
	// DeleteTag removes a tag, leaving its manifest; absent wraps ErrManifestUnknown.
	DeleteTag(ctx context.Context, repo, tag string) error
	// Referrers lists repo's manifests whose subject is d, optionally only those of one
	// artifactType, ordered by digest. An unknown repository or subject gives an empty list.
	Referrers(ctx context.Context, repo string, d digest.Digest, artifactType string) ([]Referrer, error)

	// BlobLink reports the size of blob d if repo may read it; else wraps ErrBlobUnknown.
	BlobLink(ctx context.Context, repo string, d digest.Digest) (int64, error)
	// Blob reports the size of blob d if any repository links it or a manifest references
	// it (what an automatic mount may use); else wraps ErrBlobUnknown.
	Blob(ctx context.Context, d digest.Digest) (int64, error)
	// LinkBlob records blob d (complete and verified in the blob store) and links it to
	// repo, creating the repository if needed. Linking again refreshes the link's time.
	LinkBlob(ctx context.Context, repo string, d digest.Digest, size int64) error
	// UnlinkBlob removes repo's link to d; absent wraps ErrBlobUnknown. A repository left
	// empty is dropped. The blob itself stays until garbage collection.
	UnlinkBlob(ctx context.Context, repo string, d digest.Digest) error

	// CreateUpload records a new session (ID, Repo and BlobState set; Size 0).
	CreateUpload(ctx context.Context, u Upload) error
	// Upload reads session id; absent wraps ErrUploadUnknown.
	Upload(ctx context.Context, id string) (Upload, error)
	// UpdateUpload stores u's Size, HashAlg, HashState and BlobState if the stored session
	// still has size prevSize; otherwise it wraps ErrConflict (or ErrUploadUnknown if gone).
	UpdateUpload(ctx context.Context, u Upload, prevSize int64) error
	// CompleteUpload removes session id and links blob d (size bytes) to repo in one
	// transaction; a session already gone is not an error (a retried completion).
	CompleteUpload(ctx context.Context, id, repo string, d digest.Digest, size int64) error
	// DeleteUpload removes session id; absent wraps ErrUploadUnknown.
	DeleteUpload(ctx context.Context, id string) error
	// StaleUploads lists sessions not updated since before.
	StaleUploads(ctx context.Context, before time.Time) ([]Upload, error)

	// UnreferencedLinks lists blob links made before `before` that no manifest of the same
	// repository references (uploaded, then never used).
	UnreferencedLinks(ctx context.Context, before time.Time) ([]Link, error)
	// DropLink removes link l if it is still unreferenced and not refreshed since l.Linked;
	// it reports whether it did. A repository left empty is dropped.
	DropLink(ctx context.Context, l Link) (bool, error)
	// UnusedBlobs lists blobs that no repository links and no manifest references, recorded
	// (or last linked) before `before`.
	UnusedBlobs(ctx context.Context, before time.Time) ([]BlobInfo, error)
	// ForgetBlob removes blob d's record if it is still unused and not linked since before;
	// it reports whether it did (then the caller removes the bytes).
	ForgetBlob(ctx context.Context, d digest.Digest, before time.Time) (bool, error)
	// BlobUse reports how many repositories link blob d and whether any manifest
	// references it.
	BlobUse(ctx context.Context, d digest.Digest) (links int, referenced bool, err error)
	// HasBlobRecord reports whether blob d is recorded (linked, referenced or not yet
	// collected); garbage collection keeps the bytes of every recorded blob.
	HasBlobRecord(ctx context.Context, d digest.Digest) (bool, error)
	// LockBlob serialises, for one digest, putting its bytes and recording them against
	// forgetting them and removing the bytes (garbage collection), across every process
	// sharing the store. Release with the returned func.
	LockBlob(ctx context.Context, d digest.Digest) (unlock func(), err error)
	// TryLock takes lock name across every process sharing the store, without waiting:
	// ok is false while another holder has it. It guards work rather than rows (an upload
	// session being written, a garbage-collection run); a holder that dies (its process
	// killed, its connection lost) releases it.
	TryLock(ctx context.Context, name string) (unlock func(), ok bool, err error)

	Close() error
}

// Link is a repository's permission to read a blob.
type Link struct {
	Repo   string
	Digest digest.Digest
	Size   int64
	Linked time.Time
}

// BlobInfo is a recorded blob.
type BlobInfo struct {
	Digest digest.Digest
	Size   int64
	Linked time.Time // when it was last linked or recorded
}
