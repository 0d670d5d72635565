package cli

import (
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/progress"
	"github.com/eopack/eopack/transfer"
)

// transferEvents shows a transfer with the given verbs (e.g. "Uploading", "Uploaded ",
// "Exists   ", "Mounted  "), once per digest: the first event that finishes a digest (sent,
// present or mounted) is its last line, and it starts at most once. A started blob has a bar
// (on a terminal) that the copy's byte counts move.
func (p *printer) transferEvents(start, done, skipped, mounted string) transfer.Events {
	var mu sync.Mutex
	state := map[digest.Digest]int{} // 0 nothing printed, 1 started, 2 finished
	bars := map[digest.Digest]progress.Bar{}
	finish := func(verb string) func(ocispec.Descriptor) {
		return func(d ocispec.Descriptor) {
			mu.Lock()
			defer mu.Unlock()
			if state[d.Digest] == 2 {
				return
			}
			state[d.Digest] = 2
			if b, ok := bars[d.Digest]; ok {
				delete(bars, d.Digest)
				b.Done(verb)
				return
			}
			p.t.Unplan(d)
			p.status(verb, d)
		}
	}
	return transfer.Events{
		Start: func(d ocispec.Descriptor) {
			mu.Lock()
			defer mu.Unlock()
			if state[d.Digest] != 0 {
				return
			}
			state[d.Digest] = 1
			bars[d.Digest] = p.t.Start(start, d)
		},
		Done:    finish(done),
		Skipped: finish(skipped),
		Mounted: finish(mounted),
		Progress: func(d ocispec.Descriptor) func(int64) {
			mu.Lock()
			defer mu.Unlock()
			if b, ok := bars[d.Digest]; ok {
				return b.Add
			}
			return nil
		},
	}
}
