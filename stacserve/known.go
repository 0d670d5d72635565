package stacserve

import (
	"context"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/stacindex"
)

// BlobChecker is an index that can say whether one of its items has a blob as an asset.
type BlobChecker interface {
	HasBlob(ctx context.Context, repo string, d digest.Digest) (bool, error)
}

// knownBlobs answers whether the index serves a blob (repository, digest) as an asset, so
// that the pass-through is no open proxy. An index that is a BlobChecker is asked; any other
// is read whole into a set, read again on a miss at most every rescanEvery (the file may be
// re-crawled while it is served).
type knownBlobs struct {
	ix stacindex.Index

	mu      sync.Mutex
	set     map[string]bool // repo@digest
	scanned time.Time
}

const rescanEvery = 10 * time.Second

// scanPage is the page size of the scan (the largest the API allows).
const scanPage = 10000

func newKnownBlobs(ix stacindex.Index) *knownBlobs { return &knownBlobs{ix: ix} }

func (k *knownBlobs) has(ctx context.Context, repo string, d digest.Digest) (bool, error) {
	if c, ok := k.ix.(BlobChecker); ok {
		return c.HasBlob(ctx, repo, d)
	}
	key := repo + "@" + d.String()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.set[key] {
		return true, nil
	}
	if k.set != nil && time.Since(k.scanned) < rescanEvery {
		return false, nil
	}
	set, err := scan(ctx, k.ix)
	if err != nil {
		return false, err
	}
	k.set, k.scanned = set, time.Now()
	return set[key], nil
}

// scan reads every item of the index and collects its assets' blobs.
func scan(ctx context.Context, ix stacindex.Index) (map[string]bool, error) {
	set := map[string]bool{}
	q := stacindex.Query{Limit: scanPage}
	for {
		page, err := ix.Search(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, h := range page.Hits {
			for _, b := range h.Assets {
				set[h.Repo+"@"+b.Digest.String()] = true
			}
		}
		if page.Next == "" || len(page.Hits) == 0 {
			return set, nil
		}
		q.Token = page.Next
	}
}
