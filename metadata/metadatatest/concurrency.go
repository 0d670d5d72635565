package metadatatest

import (
	"errors"
	"fmt"
	"sync"

	"github.com/eopack/eopack/metadata"
)

// testRacePutDelete: a PUT with a tag racing a DELETE of the same manifest never leaves a
// tag that does not resolve.
func testRacePutDelete(f fx) {
	p := image("r", "race", nil, "t")
	for round := range 100 {
		var wg sync.WaitGroup
		var putErr, delErr error
		wg.Add(2)
		go func() { defer wg.Done(); putErr = f.s.PutManifest(f.ctx, p) }()
		go func() { defer wg.Done(); delErr = f.s.DeleteManifest(f.ctx, "r", p.Manifest.Digest) }()
		wg.Wait()
		f.ok(putErr)
		if delErr != nil && !errors.Is(delErr, metadata.ErrManifestUnknown) {
			f.t.Fatalf("round %d: delete: %v", round, delErr)
		}
		tags, err := f.s.Tags(f.ctx, "r", "", -1)
		if errors.Is(err, metadata.ErrNameUnknown) {
			continue
		}
		f.ok(err)
		for _, tag := range tags {
			if _, err := f.s.Manifest(f.ctx, "r", tag); err != nil {
				f.t.Fatalf("round %d: tag %s left dangling: %v", round, tag, err)
			}
		}
	}
}

// testConcurrentPuts: PUTs into one repository from 8 goroutines all land.
func testConcurrentPuts(f fx) {
	config := f.link("r", "config")
	const goroutines, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("g%d-%02d", g, i)
				errs <- f.s.PutManifest(f.ctx, image("r", name, config, name, "shared"))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.ok(err)
	}
	tags, err := f.s.Tags(f.ctx, "r", "", -1)
	f.ok(err)
	if len(tags) != goroutines*each+1 {
		f.t.Fatalf("%d tags, want %d", len(tags), goroutines*each+1)
	}
	for _, tag := range tags {
		if tag == "shared" {
			continue
		}
		f.manifest("r", tag, image("r", tag, nil).Manifest.Digest)
	}
	f.ok(func() error { _, err := f.s.Manifest(f.ctx, "r", "shared"); return err }())
}

// testConcurrentUploadUpdates: of writers that read the same size, exactly one wins.
func testConcurrentUploadUpdates(f fx) {
	f.ok(f.s.CreateUpload(f.ctx, metadata.Upload{ID: "u", Repo: "r"}))
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.s.UpdateUpload(f.ctx, metadata.Upload{ID: "u", Size: int64(i + 1)}, 0)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			f.is(err, metadata.ErrConflict)
		}
	}
	if won != 1 {
		f.t.Fatalf("%d writers won", won)
	}
}
