package staccrawl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
)

// repository crawls one repository: tags → digests, then each digest (new ones fetched,
// known ones re-tagged), then the indexed digests no tag reaches (kept if the registry
// still has them, removed if not). A repository that cannot be listed is reported and left
// as the index has it.
func (c *crawler) repository(ctx context.Context, name string) error {
	repo, err := c.o.Repository(name)
	if err != nil {
		return err
	}
	known, err := c.st.Digests(ctx, name)
	if err != nil {
		return err
	}
	var tags []string
	err = c.do(ctx, func() error {
		return repo.Tags(ctx, "", func(page []string) error {
			tags = append(tags, page...)
			return nil
		})
	})
	if err != nil && !errors.Is(err, errdef.ErrNotFound) {
		c.fail(fmt.Errorf("%s: listing tags: %w", name, err))
		return ctx.Err()
	}
	c.count(func(s *Summary) { s.Repositories++ })

	// Resolve every tag (HEAD) to its manifest.
	var (
		mu     sync.Mutex
		byDesc = map[digest.Digest]ocispec.Descriptor{}
		tagsOf = map[digest.Digest][]string{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * cap(c.sem))
	for _, tag := range tags {
		g.Go(func() error {
			var desc ocispec.Descriptor
			err := c.do(gctx, func() (err error) { desc, err = repo.Resolve(gctx, tag); return err })
			if errors.Is(err, errdef.ErrNotFound) {
				return nil // deleted since the listing
			}
			if err != nil {
				c.fail(fmt.Errorf("%s:%s: %w", name, tag, err))
				return gctx.Err()
			}
			mu.Lock()
			byDesc[desc.Digest] = desc
			tagsOf[desc.Digest] = append(tagsOf[desc.Digest], tag)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	// Index each tagged manifest; remember every digest reached.
	reached := map[digest.Digest]bool{}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(2 * cap(c.sem))
	for d, desc := range byDesc {
		sort.Strings(tagsOf[d])
		reached[d] = true
		g.Go(func() error {
			children, err := c.manifest(gctx, repo, name, desc, tagsOf[d], known)
			mu.Lock()
			for _, ch := range children {
				reached[ch] = true
			}
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	// Indexed manifests no tag reaches: keep those the registry still has, without tags.
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(2 * cap(c.sem))
	for d, oldTags := range known {
		if reached[d] {
			continue
		}
		g.Go(func() error { return c.untagged(gctx, repo, name, d, oldTags) })
	}
	return g.Wait()
}

// untagged handles an indexed manifest that no tag reaches now.
func (c *crawler) untagged(ctx context.Context, repo *remote.Repository, name string, d digest.Digest, oldTags []string) error {
	err := c.do(ctx, func() error { _, err := repo.Resolve(ctx, d.String()); return err })
	switch {
	case errors.Is(err, errdef.ErrNotFound):
		if err := c.st.Delete(ctx, name, d); err != nil {
			return err
		}
		c.count(func(s *Summary) { s.Removed++ })
		return nil
	case err != nil:
		c.fail(fmt.Errorf("%s@%s: %w", name, d, err))
		return ctx.Err()
	}
	c.count(func(s *Summary) { s.Manifests++; s.Unchanged++ })
	if len(oldTags) == 0 {
		return nil
	}
	if err := c.st.SetTags(ctx, name, d, nil); err != nil {
		return err
	}
	c.count(func(s *Summary) { s.Retagged++ })
	return nil
}

// sameTags reports whether two sorted tag lists are equal (nil and empty are).
func sameTags(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}
