package metadatatest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
)

// unreferenced lists links made before `before` as "repo@digest", sorted.
func (f fx) unreferenced(before time.Time) []string {
	f.t.Helper()
	links, err := f.s.UnreferencedLinks(f.ctx, before)
	f.ok(err)
	var out []string
	for _, l := range links {
		if l.Size != 1 || l.Linked.After(before) {
			f.t.Fatalf("link %+v listed before %v", l, before)
		}
		out = append(out, l.Repo+"@"+l.Digest.String())
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func at(repo, name string) string { return repo + "@" + blob(name).String() }

func (f fx) drop(l metadata.Link, want bool) {
	f.t.Helper()
	got, err := f.s.DropLink(f.ctx, l)
	f.ok(err)
	if got != want {
		f.t.Fatalf("DropLink %+v: %v, want %v", l, got, want)
	}
}

// testUnreferencedLinks: links no manifest of their repository references, by age.
func testUnreferencedLinks(f fx) {
	first := f.timed(func() {
		f.link("r", "a", "b")
		f.put(image("r", "m", []digest.Digest{blob("a")}))
		f.link("other", "a") // r's manifest does not make other's link referenced
	})
	second := f.timed(func() { f.link("r", "c") })
	equal(f.t, "before the first", f.unreferenced(first.start), nil)
	equal(f.t, "after the first", f.unreferenced(first.after()), sorted(at("other", "a"), at("r", "b")))
	equal(f.t, "after the second", f.unreferenced(second.after()),
		sorted(at("other", "a"), at("r", "b"), at("r", "c")))

	future := time.Now().Add(time.Hour)
	f.drop(metadata.Link{Repo: "r", Digest: blob("a"), Linked: future}, false) // referenced
	f.drop(metadata.Link{Repo: "absent", Digest: blob("a"), Linked: future}, false)
	f.drop(metadata.Link{Repo: "r", Digest: blob("b"), Linked: future}, true)
	f.drop(metadata.Link{Repo: "r", Digest: blob("b"), Linked: future}, false)
	_, err := f.s.BlobLink(f.ctx, "r", blob("b"))
	f.is(err, metadata.ErrBlobUnknown)
	f.blobLink("r", blob("a"), 1)
	f.hasRecord(blob("b"), true) // a dropped link leaves the blob to ForgetBlob
}

// testDropLinkRefreshed: a link refreshed or referenced after the listing is kept.
func testDropLinkRefreshed(f fx) {
	c := f.timed(func() { f.link("r", "x", "y") })
	links, err := f.s.UnreferencedLinks(f.ctx, c.after())
	f.ok(err)
	if len(links) != 2 {
		f.t.Fatalf("links %+v", links)
	}
	f.link("r", "x")
	f.put(image("r", "m", []digest.Digest{blob("y")}))
	for _, l := range links {
		f.drop(l, false)
	}
	f.blobLink("r", blob("x"), 1)
	f.blobLink("r", blob("y"), 1)
}

// testUnusedBlobs: blobs no repository links and no manifest references, by last link time.
func testUnusedBlobs(f fx) {
	unused := func(before time.Time) []digest.Digest {
		f.t.Helper()
		bs, err := f.s.UnusedBlobs(f.ctx, before)
		f.ok(err)
		var out []digest.Digest
		for _, b := range bs {
			out = append(out, b.Digest)
		}
		slices.Sort(out)
		return out
	}
	forget := func(name string, before time.Time, want bool) {
		f.t.Helper()
		got, err := f.s.ForgetBlob(f.ctx, blob(name), before)
		f.ok(err)
		if got != want {
			f.t.Fatalf("ForgetBlob %s: %v, want %v", name, got, want)
		}
	}
	m := image("r", "m", []digest.Digest{blob("a")})
	first := f.timed(func() {
		f.link("r", "a", "b")
		f.put(m)
	})
	f.ok(f.s.UnlinkBlob(f.ctx, "r", blob("a")))
	f.ok(f.s.UnlinkBlob(f.ctx, "r", blob("b")))
	equal(f.t, "unused", unused(first.after()), []digest.Digest{blob("b")}) // a is referenced
	equal(f.t, "unused before", unused(first.start), nil)
	forget("a", first.after(), false)
	forget("b", first.start, false) // linked since

	// Linked again: in use; unlinked again: unused only after the new link's time.
	second := f.timed(func() { f.link("other", "b") })
	equal(f.t, "relinked", unused(second.after()), nil)
	forget("b", second.after(), false)
	f.ok(f.s.UnlinkBlob(f.ctx, "other", blob("b")))
	equal(f.t, "unlinked, cutoff before the relink", unused(first.after()), nil)
	forget("b", first.after(), false)
	equal(f.t, "unlinked", unused(second.after()), []digest.Digest{blob("b")})
	forget("b", second.after(), true)
	forget("b", second.after(), false)
	f.hasRecord(blob("b"), false)

	// The manifest gone, its blob is unused.
	f.ok(f.s.DeleteManifest(f.ctx, "r", m.Manifest.Digest))
	equal(f.t, "manifest deleted", unused(second.after()), []digest.Digest{blob("a")})
	forget("a", second.after(), true)
	f.hasRecord(blob("a"), false)
	_, err := f.s.Blob(f.ctx, blob("a"))
	f.is(err, metadata.ErrBlobUnknown)
}

// testLockBlob: one holder per digest; waiting honours the context.
func testLockBlob(f fx) {
	d, e := blob("d"), blob("e")
	unlock, err := f.s.LockBlob(f.ctx, d)
	f.ok(err)
	ctx, cancel := context.WithTimeout(f.ctx, 50*time.Millisecond)
	_, err = f.s.LockBlob(ctx, d)
	cancel()
	if err == nil {
		f.t.Fatal("locked a digest twice")
	}
	unlockE, err := f.s.LockBlob(f.ctx, e)
	f.ok(err)
	unlockE()
	unlock()

	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				unlock, err := f.s.LockBlob(f.ctx, d)
				if err != nil {
					f.t.Error(fmt.Errorf("goroutine %d: %w", g, err))
					return
				}
				if inside.Add(1) > 1 {
					overlaps.Add(1)
				}
				inside.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()
	if overlaps.Load() > 0 {
		f.t.Fatalf("%d overlapping holders", overlaps.Load())
	}
}

// testTryLock: one holder per name, never waiting; released names can be taken again.
func testTryLock(f fx) {
	unlock, ok, err := f.s.TryLock(f.ctx, "upload:a")
	f.ok(err)
	if !ok {
		f.t.Fatal("a free lock was refused")
	}
	if _, ok, err := f.s.TryLock(f.ctx, "upload:a"); err != nil || ok {
		f.t.Fatalf("second TryLock of a held name = %v, %v; want false, nil", ok, err)
	}
	unlockB, ok, err := f.s.TryLock(f.ctx, "upload:b")
	f.ok(err)
	if !ok {
		f.t.Fatal("another name was refused while the first was held")
	}
	unlockB()
	unlock()
	unlock() // releasing twice is harmless
	again, ok, err := f.s.TryLock(f.ctx, "upload:a")
	f.ok(err)
	if !ok {
		f.t.Fatal("a released lock was refused")
	}
	again()
}
