// Package registry is an http.Handler for the OCI Distribution Specification v1.1.1
// (https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md), with the
// _catalog extension, sha256 and sha512 digests, Range requests on blobs, chunked and
// resumable uploads, cross-repository and automatic mounts, and the referrers API.
//
// The handler talks to two interfaces only (Storage): a metadata.Store, which holds
// repositories, manifests, tags, referrer edges, which blobs each repository may read, and
// upload sessions, every change one transaction; and a blobstore.Store, which holds blob
// bytes by digest, each verified before it becomes visible. So a manifest PUT with its tags,
// a tag move, a delete or an upload completion is seen whole or not at all, and no race
// between requests can leave a tag pointing at nothing. Open gives the embedded default:
// SQLite and the filesystem under one folder (open.go draws the tree).
//
// A repository exists while it holds a manifest or a blob link; the spec has no repository
// delete, so one is dropped when deletes leave it empty and comes back with the next push.
// Garbage (blobs no manifest references, stale upload sessions) is collected online (gc.go).
package registry
