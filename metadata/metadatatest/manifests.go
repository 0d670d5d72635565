package metadatatest

import (
	"bytes"
	"errors"
	"maps"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/metadata"
)

// testEmpty: every lookup in an empty store fails with its sentinel.
func testEmpty(f fx) {
	f.repos()
	_, err := f.s.Tags(f.ctx, "r", "", -1)
	f.is(err, metadata.ErrNameUnknown)
	f.noManifest("r", "latest")
	f.noManifest("r", blob("x").String())
	f.is(f.s.DeleteManifest(f.ctx, "r", blob("x")), metadata.ErrManifestUnknown)
	f.is(f.s.DeleteTag(f.ctx, "r", "latest"), metadata.ErrManifestUnknown)
	refs, err := f.s.Referrers(f.ctx, "r", blob("x"), "")
	f.ok(err)
	if len(refs) != 0 {
		f.t.Fatalf("referrers in an empty store: %+v", refs)
	}
	_, err = f.s.BlobLink(f.ctx, "r", blob("x"))
	f.is(err, metadata.ErrBlobUnknown)
	_, err = f.s.Blob(f.ctx, blob("x"))
	f.is(err, metadata.ErrBlobUnknown)
	f.is(f.s.UnlinkBlob(f.ctx, "r", blob("x")), metadata.ErrBlobUnknown)
	has, err := f.s.HasBlobRecord(f.ctx, blob("x"))
	f.ok(err)
	if has {
		f.t.Fatal("HasBlobRecord in an empty store")
	}
	_, err = f.s.Upload(f.ctx, "u")
	f.is(err, metadata.ErrUploadUnknown)
	f.is(f.s.DeleteUpload(f.ctx, "u"), metadata.ErrUploadUnknown)
	f.is(f.s.UpdateUpload(f.ctx, metadata.Upload{ID: "u", Size: 1}, 0), metadata.ErrUploadUnknown)
	f.repos()
}

// testPutManifest: every field survives, by tag and by digest.
func testPutManifest(f fx) {
	p := image("a/b", "one", f.link("a/b", "config", "layer"), "latest", "v1")
	p.Manifest.Subject = blob("subject")
	p.Manifest.Annotations = map[string]string{"org.opencontainers.image.created": "2024", "k": "v"}
	p.Manifest.Created = time.Unix(1700000000, 123456789)
	f.put(p)
	for _, ref := range []string{"latest", "v1", p.Manifest.Digest.String()} {
		m := f.manifest("a/b", ref, p.Manifest.Digest)
		want := p.Manifest
		if m.MediaType != want.MediaType || m.ArtifactType != want.ArtifactType || m.Size != want.Size ||
			m.Subject != want.Subject || !bytes.Equal(m.Body, want.Body) ||
			!maps.Equal(m.Annotations, want.Annotations) || !m.Created.Equal(want.Created) {
			f.t.Fatalf("manifest %s:\n got %+v\nwant %+v", ref, m, want)
		}
	}
	f.tags("a/b", "latest", "v1")
	f.repos("a/b")
	f.noManifest("a/b", "v2")
	f.noManifest("other", "latest")
	f.noManifest("other", p.Manifest.Digest.String())

	// Created defaults to the time of the PUT; no annotations read back as none.
	var q metadata.PutManifest
	c := f.timed(func() {
		q = image("a/b", "two", nil)
		f.put(q)
	})
	m := f.manifest("a/b", q.Manifest.Digest.String(), q.Manifest.Digest)
	if m.Created.Before(c.start) || m.Created.After(c.end) || len(m.Annotations) != 0 || m.Subject != "" {
		f.t.Fatalf("manifest without Created, annotations, subject: %+v", m)
	}
	f.tags("a/b", "latest", "v1")
}

// testPutManifestMissing: a missing blob or child fails with a *MissingError and changes nothing.
func testPutManifestMissing(f fx) {
	have := f.link("r", "config")
	f.link("other", "layer") // linked to another repository only
	base := image("r", "base", have, "latest")
	f.put(base)

	cases := []struct {
		name  string
		p     metadata.PutManifest
		want  digest.Digest
		child bool
	}{
		{"blob", image("r", "m", append(have, blob("layer")), "latest", "new"), blob("layer"), false},
		{"new repo", image("new", "m", have, "latest"), have[0], false},
		{"child", index("r", "i", []digest.Digest{base.Manifest.Digest, blob("absent")}, "latest"), blob("absent"), true},
	}
	for _, c := range cases {
		err := f.s.PutManifest(f.ctx, c.p)
		f.is(err, metadata.ErrReferenceMissing)
		var me *metadata.MissingError
		if !errors.As(err, &me) || me.Digest != c.want || me.Child != c.child {
			f.t.Fatalf("%s: error %v, want MissingError{%s, child %v}", c.name, err, c.want, c.child)
		}
		f.noManifest(c.p.Repo, c.p.Manifest.Digest.String())
	}
	f.manifest("r", "latest", base.Manifest.Digest)
	f.tags("r", "latest")
	f.repos("other", "r")
	_, err := f.s.Tags(f.ctx, "new", "", -1)
	f.is(err, metadata.ErrNameUnknown)
}

// index is an image index of the given children.
func index(repo, name string, children []digest.Digest, tags ...string) metadata.PutManifest {
	p := image(repo, name, nil, tags...)
	p.Manifest.MediaType = ocispec.MediaTypeImageIndex
	p.Manifest.ArtifactType = ""
	p.Children = children
	return p
}

// testPutManifestExisting: putting a manifest again only sets its tags, even if its blobs
// have since been unlinked.
func testPutManifestExisting(f fx) {
	p := image("r", "one", f.link("r", "config"), "a")
	f.put(p)
	f.ok(f.s.UnlinkBlob(f.ctx, "r", blob("config")))
	again := p
	again.Tags = []string{"b"}
	again.Manifest.Body = []byte("ignored")
	f.put(again)
	f.tags("r", "a", "b")
	m := f.manifest("r", "b", p.Manifest.Digest)
	if !bytes.Equal(m.Body, p.Manifest.Body) {
		f.t.Fatalf("body replaced: %q", m.Body)
	}
	again.Tags = nil
	f.put(again)
	f.tags("r", "a", "b")
}

// testIndex: an index needs its children in the same repository.
func testIndex(f fx) {
	a := image("r", "a", f.link("r", "c"))
	b := image("r", "b", f.link("r", "c"))
	f.put(a, b)
	i := index("r", "i", []digest.Digest{a.Manifest.Digest, b.Manifest.Digest}, "multi")
	f.put(i)
	m := f.manifest("r", "multi", i.Manifest.Digest)
	if m.MediaType != ocispec.MediaTypeImageIndex {
		f.t.Fatalf("media type %s", m.MediaType)
	}
	other := index("other", "i", []digest.Digest{a.Manifest.Digest})
	var me *metadata.MissingError
	if err := f.s.PutManifest(f.ctx, other); !errors.As(err, &me) || !me.Child {
		f.t.Fatalf("index of another repository's manifest: %v", err)
	}
}

// testTagMove: a moved tag leaves the old manifest in place, untagged, still a referrer.
func testTagMove(f fx) {
	subject := image("r", "subject", nil, "subject")
	f.put(subject)
	old := referrer("r", "old", "application/vnd.sig", subject.Manifest.Digest)
	old.Tags = []string{"latest", "stable"}
	f.put(old)
	nu := image("r", "new", nil, "latest")
	f.put(nu)
	f.manifest("r", "latest", nu.Manifest.Digest)
	f.manifest("r", "stable", old.Manifest.Digest)
	f.ok(f.s.DeleteTag(f.ctx, "r", "stable"))
	f.manifest("r", old.Manifest.Digest.String(), old.Manifest.Digest)
	f.tags("r", "latest", "subject")
	refs, err := f.s.Referrers(f.ctx, "r", subject.Manifest.Digest, "")
	f.ok(err)
	if len(refs) != 1 || refs[0].Digest != old.Manifest.Digest {
		f.t.Fatalf("referrers %v, want the untagged %s", refs, old.Manifest.Digest)
	}
}

// testDeleteManifest: deleting a manifest removes its tags, no others.
func testDeleteManifest(f fx) {
	a := image("r", "a", f.link("r", "c"), "a1", "a2")
	b := image("r", "b", nil, "b1")
	f.put(a, b)
	f.ok(f.s.DeleteManifest(f.ctx, "r", a.Manifest.Digest))
	f.noManifest("r", "a1")
	f.noManifest("r", a.Manifest.Digest.String())
	f.tags("r", "b1")
	f.is(f.s.DeleteManifest(f.ctx, "r", a.Manifest.Digest), metadata.ErrManifestUnknown)
	f.is(f.s.DeleteManifest(f.ctx, "other", b.Manifest.Digest), metadata.ErrManifestUnknown)
	// Putting it again needs its blobs and gets only the new tags.
	a.Tags = []string{"again"}
	f.put(a)
	f.tags("r", "again", "b1")
}

// testDeleteTag: deleting a tag leaves its manifest.
func testDeleteTag(f fx) {
	p := image("r", "a", nil, "t1", "t2")
	f.put(p)
	f.ok(f.s.DeleteTag(f.ctx, "r", "t1"))
	f.noManifest("r", "t1")
	f.manifest("r", "t2", p.Manifest.Digest)
	f.is(f.s.DeleteTag(f.ctx, "r", "t1"), metadata.ErrManifestUnknown)
	f.is(f.s.DeleteTag(f.ctx, "other", "t2"), metadata.ErrManifestUnknown)
	f.ok(f.s.DeleteTag(f.ctx, "r", "t2"))
	f.tags("r")
	f.manifest("r", p.Manifest.Digest.String(), p.Manifest.Digest)
	f.repos("r")
}
