package cli

import (
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/transfer"
)

// transferEvents prints ORAS's status lines for a transfer with the given verbs (e.g.
// "Uploading", "Uploaded ", "Exists   ", "Mounted  "), once per digest: the first event that
// finishes a digest (sent, present or mounted) is its last line, and it starts at most once.
func (p *printer) transferEvents(start, done, skipped, mounted string) transfer.Events {
	var mu sync.Mutex
	state := map[digest.Digest]int{} // 0 nothing printed, 1 started, 2 finished
	show := func(verb string, finish bool) func(ocispec.Descriptor) {
		return func(d ocispec.Descriptor) {
			mu.Lock()
			defer mu.Unlock()
			if s := state[d.Digest]; s == 2 || (s == 1 && !finish) {
				return
			}
			state[d.Digest] = 1
			if finish {
				state[d.Digest] = 2
			}
			p.status(verb, d)
		}
	}
	return transfer.Events{
		Start:   show(start, false),
		Done:    show(done, true),
		Skipped: show(skipped, true),
		Mounted: show(mounted, true),
	}
}
