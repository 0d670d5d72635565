// Package layout is an OCI image layout store on disk
// (https://github.com/opencontainers/image-spec/blob/v1.1.1/image-layout.md).
//
// It is used by the client (push/pull/cp with --oci-layout) and, one store per repository,
// as the storage of `eopack serve`. oras-go has content/oci.Store; this package exists
// because eopack needs what that store lacks: every write is temp file → fsync → rename (and
// the directory fsynced), blobs are verified while they are written for sha256 and sha512,
// index.json is updated under a lock file (flock) so two eopack processes sharing a layout
// never lose each other's entries, and blobs can live in a shared Pool hard-linked into many
// layouts so identical blobs are stored once.
//
// On-disk tree of one layout:
//
//	ROOT/
//	├── oci-layout            {"imageLayoutVersion":"1.0.0"}
//	├── index.json            image index; one entry per tag (annotation
//	│                         org.opencontainers.image.ref.name = the tag, any string such as
//	│                         "v1" or "eo/products:v1") plus one entry without ref.name for
//	│                         every pushed manifest that has no tag, so the graph stays rooted
//	├── .lock                 flock(2) target serialising index.json read-modify-write
//	├── .ingest/              temp files of pushes in progress (never visible as blobs)
//	└── blobs/
//	    ├── sha256/<hex>      content-addressed blobs, complete and verified
//	    └── sha512/<hex>
//
// With a Pool, blobs/<alg>/<hex> is a hard link to POOL/<alg>/<hex> and temp files are
// written in POOL/.ingest/ (see pool.go for the pool's tree).
package layout
