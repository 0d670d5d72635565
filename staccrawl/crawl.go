// Package staccrawl fills a STAC index from any OCI registry: it lists the catalog (under a
// namespace; a registry without a catalog gets the namespace crawled as one repository),
// each repository's tags, resolves them to manifests, and indexes every EO product manifest
// (stacindex.FromManifest) and STAC Collection document it finds.
//
// Crawls are incremental: a tag whose manifest the index already has costs one HEAD and at
// most a change of tags, never a manifest or blob fetch; an indexed manifest that no tag
// reaches any more is kept while the registry still has it (HEAD by digest) and removed once
// it is gone. Image indexes are followed one level: their children are indexed by digest.
package staccrawl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/stacindex"
)

// Store is where the crawl writes: a *stacindex.File.
type Store interface {
	Put(ctx context.Context, e stacindex.Entry) error
	PutCollection(ctx context.Context, c stacindex.CollectionDoc, tags []string) error
	Delete(ctx context.Context, repo string, d digest.Digest) error
	Digests(ctx context.Context, repo string) (map[digest.Digest][]string, error)
	SetTags(ctx context.Context, repo string, d digest.Digest, tags []string) error
}

// RepositoryLister is a Store that can list the repositories it holds, so that repositories
// gone from the registry's catalog are emptied too.
type RepositoryLister interface {
	Repositories(ctx context.Context) ([]string, error)
}

// Options configure a crawl. Registry and Repository are required.
type Options struct {
	Registry    *remote.Registry                              // lists the catalog
	Repository  func(name string) (*remote.Repository, error) // opens one repository (with credentials)
	Namespace   string                                        // only repositories named Namespace or under Namespace/; "" = all
	Concurrency int                                           // requests in flight at once; 0 = 8
	Now         func() time.Time                              // the Created time of products without org.opencontainers.image.created; nil = time.Now
	// Warn receives one line for each manifest or repository that could not be indexed; the
	// crawl goes on without it. nil = discard.
	Warn func(string)
}

// Summary counts what a crawl did.
type Summary struct {
	Repositories int // repositories crawled
	Manifests    int // distinct manifests reached (by tag, or as children of an image index)
	Indexed      int // products and collections fetched and written
	Unchanged    int // products already in the index (at most their tags changed)
	Retagged     int // of Unchanged, those whose tags changed
	Removed      int // products removed: gone from the registry
	Skipped      int // manifests that are neither EO products nor STAC Collections
	Failed       int // manifests or repositories that could not be indexed (see Options.Warn)
	Fetched      int // blobs fetched (STAC Items and Collections)
}

func (s Summary) String() string {
	return fmt.Sprintf("%d repositories, %d manifests seen, %d indexed, %d unchanged (%d retagged), %d removed, %d not EO products, %d failed (%d blobs fetched)",
		s.Repositories, s.Manifests, s.Indexed, s.Unchanged, s.Retagged, s.Removed, s.Skipped, s.Failed, s.Fetched)
}

// ErrFailed is returned (wrapped, with the count) when some manifests or repositories could
// not be indexed; everything else was.
var ErrFailed = errors.New("not everything could be indexed")

// Crawl indexes the registry into st.
func Crawl(ctx context.Context, st Store, o Options) (Summary, error) {
	c := &crawler{st: st, o: o, sem: make(chan struct{}, max(o.Concurrency, 1))}
	if o.Concurrency <= 0 {
		c.sem = make(chan struct{}, 8)
	}
	if c.o.Now == nil {
		c.o.Now = time.Now
	}
	repos, err := c.catalog(ctx)
	if err != nil {
		if o.Namespace == "" {
			return c.sum, err
		}
		// Many registries (GHCR, Docker Hub, ECR without the permission) list no catalog:
		// the namespace is then taken as one repository.
		if c.o.Warn != nil {
			c.o.Warn(oneLine(err.Error()) + ": indexing " + o.Namespace + " as one repository")
		}
		repos = []string{o.Namespace}
	}
	if rl, ok := st.(RepositoryLister); ok {
		held, err := rl.Repositories(ctx)
		if err != nil {
			return c.sum, err
		}
		for _, r := range held {
			if c.inNamespace(r) && !slices.Contains(repos, r) {
				repos = append(repos, r)
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cap(c.sem))
	for _, name := range repos {
		g.Go(func() error { return c.repository(gctx, name) })
	}
	if err := g.Wait(); err != nil {
		return c.sum, err
	}
	if c.sum.Failed > 0 {
		return c.sum, fmt.Errorf("%d manifests or repositories: %w", c.sum.Failed, ErrFailed)
	}
	return c.sum, nil
}

type crawler struct {
	st  Store
	o   Options
	sem chan struct{} // one slot per request in flight

	mu  sync.Mutex
	sum Summary
}

// do runs one request while holding a slot.
func (c *crawler) do(ctx context.Context, f func() error) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.sem }()
	return f()
}

func (c *crawler) count(f func(*Summary)) {
	c.mu.Lock()
	f(&c.sum)
	c.mu.Unlock()
}

// fail records a failure that the crawl goes on without.
func (c *crawler) fail(err error) {
	c.count(func(s *Summary) { s.Failed++ })
	if c.o.Warn != nil {
		c.o.Warn(oneLine(err.Error()))
	}
}

func (c *crawler) inNamespace(repo string) bool {
	return c.o.Namespace == "" || repo == c.o.Namespace || strings.HasPrefix(repo, c.o.Namespace+"/")
}

// catalog lists the repositories under the namespace, following the catalog's pages.
func (c *crawler) catalog(ctx context.Context) ([]string, error) {
	var repos []string
	err := c.o.Registry.Repositories(ctx, "", func(page []string) error {
		for _, r := range page {
			if c.inNamespace(r) {
				repos = append(repos, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the catalog of %s: %w", c.o.Registry.Reference.Registry, err)
	}
	return repos, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
