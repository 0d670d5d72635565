// Package registry is an http.Handler for the OCI Distribution Specification v1.1.1
// (https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md), with the
// _catalog extension, sha256 and sha512 digests, Range requests on blobs, chunked and
// resumable uploads, cross-repository and automatic mounts, and the referrers API.
//
// Storage (FS) keeps every repository as a valid OCI image layout (package layout), so
// `oras repo tags --oci-layout ROOT/eo/products` reads it directly. Identical blobs are stored
// once, in a pool hard-linked into each repository:
//
//	ROOT/
//	├── _pool/                      blobs shared by all repositories (layout.Pool)
//	│   ├── .ingest/                temp files of single-request pushes
//	│   └── sha256/<hex>, sha512/<hex>
//	├── _uploads/<session-id>       upload sessions in progress (hashed while written);
//	│                               renamed into _pool when complete, removed after the TTL
//	└── <repository name>/          one OCI image layout per repository, e.g. eo/products/
//	    ├── oci-layout, index.json  tags are ref.name annotations; untagged manifests listed
//	    └── blobs/<alg>/<hex>       hard links into _pool
//
// The spec has no repository delete, so a repository lives while it holds something: after a
// manifest, tag or blob DELETE that leaves it with no manifest listed, no blob and no
// repository beneath it, its folder is removed, and so are parent folders that are not
// repositories (or are empty repositories) and became empty; ROOT, _pool and _uploads never
// are. Pool blobs stay until the TTL sweep. A per-repository lock orders this against pushes,
// mounts and upload completions into the same repository, which recreate it (prune.go).
//
// Names starting with "_" or "." can never be repository names (the spec's name grammar starts
// every path component with [a-z0-9]); "blobs", "index.json" and "oci-layout" are refused as
// any component after the first, since they would collide with a parent repository's layout.
package registry
