package transfer

import (
	"context"
	"sync"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2"
)

// inflight makes one transfer send each digest once. oras-go's graph copy keys its nodes by
// the whole descriptor, media type included, so a graph that names the same bytes twice —
// a manifest whose config is also a layer (push --stac-in both), two manifests of an index
// sharing a band, referrers sharing a blob — would have them sent twice, concurrently.
// The first copy of a digest claims it; later ones wait for it to finish and are skipped
// (oras.SkipNode: the blob is then in the target). A failed copy cancels the whole graph
// copy's context, which releases the waiters.
type inflight struct {
	mu   sync.Mutex
	busy map[digest.Digest]chan struct{}
}

// claim returns nil when the caller is the first to send d, else waits for that send and
// returns oras.SkipNode (or the context's error).
func (f *inflight) claim(ctx context.Context, d digest.Digest) error {
	f.mu.Lock()
	ch, taken := f.busy[d]
	if !taken {
		if f.busy == nil {
			f.busy = map[digest.Digest]chan struct{}{}
		}
		f.busy[d] = make(chan struct{})
	}
	f.mu.Unlock()
	if !taken {
		return nil
	}
	select {
	case <-ch:
		return oras.SkipNode
	case <-ctx.Done():
		return ctx.Err()
	}
}

// done marks d sent; the claim stays, so later copies of d are skipped at once.
func (f *inflight) done(d digest.Digest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.busy[d]; ok {
		select {
		case <-ch:
		default:
			close(ch)
		}
	}
}
