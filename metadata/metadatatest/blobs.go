package metadatatest

import (
	"bytes"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
)

func (f fx) blobLink(repo string, d digest.Digest, size int64) {
	f.t.Helper()
	got, err := f.s.BlobLink(f.ctx, repo, d)
	f.ok(err)
	if got != size {
		f.t.Fatalf("BlobLink %s@%s: size %d, want %d", repo, d, got, size)
	}
}

func (f fx) blob(d digest.Digest, size int64) {
	f.t.Helper()
	got, err := f.s.Blob(f.ctx, d)
	f.ok(err)
	if got != size {
		f.t.Fatalf("Blob %s: size %d, want %d", d, got, size)
	}
}

func (f fx) hasRecord(d digest.Digest, want bool) {
	f.t.Helper()
	got, err := f.s.HasBlobRecord(f.ctx, d)
	f.ok(err)
	if got != want {
		f.t.Fatalf("HasBlobRecord %s: %v, want %v", d, got, want)
	}
}

// testBlobs: links per repository; Blob for any linked or referenced blob.
func testBlobs(f fx) {
	d := f.link("r", "four")[0]
	f.repos("r")
	f.blobLink("r", d, 4)
	f.blob(d, 4)
	_, err := f.s.BlobLink(f.ctx, "other", d)
	f.is(err, metadata.ErrBlobUnknown)
	f.link("r", "four") // linking again is fine
	f.link("other", "four")
	f.blobLink("other", d, 4)
	f.repos("other", "r")

	// Referenced but unlinked: Blob finds it, BlobLink does not.
	f.put(image("r", "m", []digest.Digest{d}))
	f.ok(f.s.UnlinkBlob(f.ctx, "r", d))
	f.ok(f.s.UnlinkBlob(f.ctx, "other", d))
	f.is(f.s.UnlinkBlob(f.ctx, "r", d), metadata.ErrBlobUnknown)
	_, err = f.s.BlobLink(f.ctx, "r", d)
	f.is(err, metadata.ErrBlobUnknown)
	f.blob(d, 4)
	f.repos("r")

	// Neither linked nor referenced: unknown, but recorded until collected.
	f.ok(f.s.DeleteManifest(f.ctx, "r", image("r", "m", nil).Manifest.Digest))
	_, err = f.s.Blob(f.ctx, d)
	f.is(err, metadata.ErrBlobUnknown)
	f.hasRecord(d, true)
	f.hasRecord(blob("never"), false)
	f.repos()
}

// testRepositoryDropped: a repository goes when its last manifest or link does.
func testRepositoryDropped(f fx) {
	// Last manifest deleted.
	m := image("m", "x", nil, "t")
	f.put(m)
	f.ok(f.s.DeleteManifest(f.ctx, "m", m.Manifest.Digest))
	// Last link unlinked.
	f.link("l", "x")
	f.ok(f.s.UnlinkBlob(f.ctx, "l", blob("x")))
	// Kept while a link or a manifest remains.
	keep := image("k", "x", f.link("k", "x", "y"))
	f.put(keep)
	f.ok(f.s.UnlinkBlob(f.ctx, "k", blob("x")))
	f.ok(f.s.UnlinkBlob(f.ctx, "k", blob("y")))
	f.repos("k")
	f.link("k", "z")
	f.ok(f.s.DeleteManifest(f.ctx, "k", keep.Manifest.Digest))
	f.repos("k")
	// Last link dropped by garbage collection.
	c := f.timed(func() {})
	links, err := f.s.UnreferencedLinks(f.ctx, c.after())
	f.ok(err)
	if len(links) != 1 || links[0].Repo != "k" || links[0].Digest != blob("z") {
		f.t.Fatalf("unreferenced links %+v", links)
	}
	dropped, err := f.s.DropLink(f.ctx, links[0])
	f.ok(err)
	if !dropped {
		f.t.Fatal("link not dropped")
	}
	f.repos()
	_, err = f.s.Tags(f.ctx, "k", "", -1)
	f.is(err, metadata.ErrNameUnknown)
}

// testUploads: create, read, update only from the size last read, delete.
func testUploads(f fx) {
	u := metadata.Upload{ID: "u1", Repo: "r", BlobState: []byte("blob state")}
	c := f.timed(func() { f.ok(f.s.CreateUpload(f.ctx, u)) })
	got, err := f.s.Upload(f.ctx, "u1")
	f.ok(err)
	if got.ID != "u1" || got.Repo != "r" || got.Size != 0 || got.HashAlg != "" ||
		!bytes.Equal(got.BlobState, u.BlobState) || got.Created.Before(c.start) || got.Created.After(c.end) {
		f.t.Fatalf("upload %+v", got)
	}
	f.repos() // an upload does not make a repository

	next := got
	next.Size, next.HashAlg = 100, digest.SHA256
	next.HashState, next.BlobState = []byte("hash@100"), []byte("blob@100")
	f.ok(f.s.UpdateUpload(f.ctx, next, 0))
	f.is(f.s.UpdateUpload(f.ctx, next, 0), metadata.ErrConflict) // a stale writer
	got, err = f.s.Upload(f.ctx, "u1")
	f.ok(err)
	if got.Size != 100 || got.HashAlg != digest.SHA256 || string(got.HashState) != "hash@100" ||
		string(got.BlobState) != "blob@100" || got.Updated.Before(got.Created) {
		f.t.Fatalf("updated upload %+v", got)
	}
	f.ok(f.s.CreateUpload(f.ctx, metadata.Upload{ID: "u2", Repo: "r"}))
	f.ok(f.s.DeleteUpload(f.ctx, "u1"))
	_, err = f.s.Upload(f.ctx, "u1")
	f.is(err, metadata.ErrUploadUnknown)
	f.is(f.s.UpdateUpload(f.ctx, next, 100), metadata.ErrUploadUnknown)
	f.is(f.s.DeleteUpload(f.ctx, "u1"), metadata.ErrUploadUnknown)
	_, err = f.s.Upload(f.ctx, "u2")
	f.ok(err)
}

// testCompleteUpload: completing removes the session and links the blob; again is no error.
func testCompleteUpload(f fx) {
	f.ok(f.s.CreateUpload(f.ctx, metadata.Upload{ID: "u", Repo: "r"}))
	d := blob("done")
	for range 2 {
		f.ok(f.s.CompleteUpload(f.ctx, "u", "r", d, 4))
		_, err := f.s.Upload(f.ctx, "u")
		f.is(err, metadata.ErrUploadUnknown)
		f.blobLink("r", d, 4)
		f.repos("r")
	}
}

// testStaleUploads: sessions not updated since the cutoff.
func testStaleUploads(f fx) {
	early := f.timed(func() {
		f.ok(f.s.CreateUpload(f.ctx, metadata.Upload{ID: "old", Repo: "r"}))
		f.ok(f.s.CreateUpload(f.ctx, metadata.Upload{ID: "touched", Repo: "r"}))
	})
	later := f.timed(func() {
		f.ok(f.s.CreateUpload(f.ctx, metadata.Upload{ID: "new", Repo: "r"}))
		f.ok(f.s.UpdateUpload(f.ctx, metadata.Upload{ID: "touched", Size: 5}, 0))
	})
	stale := func(before clock) []string {
		us, err := f.s.StaleUploads(f.ctx, before.after())
		f.ok(err)
		var ids []string
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		return ids
	}
	none, err := f.s.StaleUploads(f.ctx, early.start)
	f.ok(err)
	if len(none) != 0 {
		f.t.Fatalf("stale before the first: %+v", none)
	}
	equal(f.t, "stale after the first", stale(early), []string{"old"})
	got := stale(later)
	if len(got) != 3 {
		f.t.Fatalf("stale after all: %v", got)
	}
}
