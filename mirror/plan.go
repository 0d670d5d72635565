package mirror

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	"github.com/eopack/eopack/target"
)

// plan lists the source's repositories and tags that pass the tag patterns.
func (m *run) plan(ctx context.Context) ([]*job, error) {
	if m.src.Ref.Layout {
		t, ref, err := m.open(ctx, "src", m.src, "")
		if err != nil {
			return nil, err
		}
		names, err := listTags(ctx, t)
		if err != nil {
			return nil, target.Explain(err, ref)
		}
		var jobs []*job
		for _, name := range names {
			repo, tag := splitLayoutTag(name)
			if j := m.newJob(repo, name, tag, t); j != nil {
				jobs = append(jobs, j)
			}
		}
		return jobs, nil
	}
	repos, err := m.repositories(ctx)
	if err != nil {
		return nil, err
	}
	var (
		mu   sync.Mutex
		jobs []*job
	)
	parallel(len(repos), m.o.Concurrency, func(i int) {
		t, ref, err := m.open(ctx, "src", m.src, repos[i])
		if err == nil {
			var tags []string
			if tags, err = listTags(ctx, t); err == nil {
				for _, tag := range tags {
					if j := m.newJob(repos[i], tag, tag, t); j != nil {
						mu.Lock()
						jobs = append(jobs, j)
						mu.Unlock()
					}
				}
				return
			}
			err = target.Explain(err, ref)
		}
		m.fail("%s: listing tags: %v", ref, err)
	})
	return jobs, nil
}

// newJob is the job for tag of source repository repo (found as name in its target), or nil
// when the tag does not match or has no destination.
func (m *run) newJob(repo, name, tag string, src oras.ReadOnlyGraphTarget) *job {
	if !m.o.Filter.MatchTag(tag) {
		return nil
	}
	j := &job{srcRepo: repo, srcName: name, tag: tag, src: src, dstName: tag}
	j.item.Src = m.src.Ref.With(name)
	if !m.src.Ref.Layout {
		j.item.Src.Repository = repo
	}
	if m.dst.Ref.Layout {
		j.dstRepo, j.dstName = repo, layoutTag(repo, tag)
		j.item.Dst = m.dst.Ref.With(j.dstName)
		return j
	}
	srcPrefix := m.src.Ref.Repository
	if m.src.Ref.Layout {
		srcPrefix = ""
	}
	dstRepo, err := Map(srcPrefix, repo, m.dst.Ref.Repository)
	if err != nil {
		m.fail("%s: %v", j.item.Src, err)
		return nil
	}
	j.dstRepo = dstRepo
	j.item.Dst = m.dst.Ref.With(tag)
	j.item.Dst.Repository = dstRepo
	return j
}

// repositories lists the source repositories under its prefix from the registry's catalog.
// When the catalog cannot be listed (registries may switch it off), a source that names a
// repository is taken as that one repository.
func (m *run) repositories(ctx context.Context) ([]string, error) {
	prefix := m.src.Ref.Repository
	reg, err := target.Registry(m.src.Ref.Registry, m.src.Options)
	if err != nil {
		return nil, err
	}
	var repos []string
	// a destination under the source prefix of the same registry is no source: a second
	// run would otherwise mirror the mirror into itself
	inDst := func(r string) bool {
		return !m.dst.Ref.Layout && m.dst.Ref.Registry == m.src.Ref.Registry && m.dst.Ref.Repository != prefix &&
			Under(m.dst.Ref.Repository, r)
	}
	err = reg.Repositories(ctx, "", func(page []string) error {
		for _, r := range page {
			if Under(prefix, r) && !inDst(r) {
				repos = append(repos, r)
			}
		}
		return nil
	})
	if err != nil {
		err = target.Explain(err, m.src.Ref)
		if prefix == "" || errors.Is(err, target.ErrUnreachable) {
			return nil, fmt.Errorf("listing the repositories of %s: %w", m.src.Ref.Registry, err)
		}
		if m.o.Warn != nil {
			m.o.Warn(fmt.Sprintf("cannot list the repositories of %s (%v): mirroring %s as one repository", m.src.Ref.Registry, err, m.src.Ref))
		}
		return []string{prefix}, nil
	}
	if len(repos) == 0 && prefix != "" {
		repos = []string{prefix} // a catalog that lags behind (or hides) a named repository
	}
	slices.Sort(repos)
	return repos, nil
}

func listTags(ctx context.Context, t oras.ReadOnlyTarget) ([]string, error) {
	lister, ok := t.(registry.TagLister)
	if !ok {
		return nil, fmt.Errorf("cannot list the tags of this source")
	}
	tags, err := registry.Tags(ctx, lister)
	slices.Sort(tags)
	return tags, err
}

// resolve resolves every job's tag and keeps those whose manifest passes the filter.
func (m *run) resolve(ctx context.Context, jobs []*job) []*job {
	keep := make([]bool, len(jobs))
	parallel(len(jobs), m.o.Concurrency, func(i int) {
		j := jobs[i]
		root, err := j.src.Resolve(ctx, j.srcName)
		if err != nil {
			m.fail("%s: %v", j.item.Src, target.Explain(err, j.item.Src))
			return
		}
		j.root, j.item.Root = root, root
		if m.o.Filter.NeedsManifest() {
			b, err := content.FetchAll(ctx, j.src, root)
			if err != nil {
				m.fail("%s: %v", j.item.Src, target.Explain(err, j.item.Src))
				return
			}
			ok, err := m.o.Filter.MatchManifest(b)
			if err != nil {
				m.fail("%s: %v", j.item.Src, err)
			}
			if !ok {
				return
			}
		}
		keep[i] = true
	})
	var out []*job
	for i, j := range jobs {
		if keep[i] {
			out = append(out, j)
		}
	}
	return out
}
