// Package mirror copies every tagged artifact that matches a filter, with its referrers,
// from one registry (a whole registry, the repositories under a prefix, or one repository)
// or OCI image layout to another, keeping repository paths below the prefix. Copies go
// through transfer.Copy, so what the destination holds is skipped: a second run sends no
// blob. A failing repository or tag is recorded and the others go on.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry"

	"github.com/eopack/eopack/remote"
	"github.com/eopack/eopack/target"
	"github.com/eopack/eopack/transfer"
)

// Side is one end of a mirror: Ref from ParseSide and how to reach it.
type Side struct {
	Ref     target.Ref
	Options target.Options
}

// Options tune Run. The zero value copies every tag, one repository at a time.
type Options struct {
	Filter      Filter
	Concurrency int                  // repositories copied at once, and blobs per copy
	DryRun      bool                 // plan and count what the destination lacks; copy nothing
	Upload      remote.UploadOptions // chunked, resumable uploads of large blobs
	// Events, when set, gives the progress callbacks for the copies into one destination
	// repository (called once per repository).
	Events func(dstRepo string) transfer.Events
	// Done, when set, is called as each tag finishes (copied, planned or failed).
	Done func(Item)
	// Warn, when set, receives notes that change no result (a catalog that cannot be listed).
	Warn func(string)
}

// Item is one tagged artifact of the mirror.
type Item struct {
	Src, Dst target.Ref // with the tag as Reference
	Root     ocispec.Descriptor
	Missing  Missing // dry run: what the destination lacks
	Err      error
}

// Missing counts what a dry run found absent at the destination.
type Missing struct {
	Blobs, Bytes int64 // blobs (configs, layers) and their bytes
	Manifests    int64
}

// Report is the outcome of Run.
type Report struct {
	Repositories int            // repositories with at least one tag mirrored (or planned)
	Tags         int            // tags mirrored (or planned)
	Stats        transfer.Stats // totals of the copies
	Missing      Missing        // dry run: totals of what the destination lacks
	Failures     []string       // one line each, sorted
	Items        []Item         // every selected tag, sorted by source
}

// Summary is the closing line, e.g. "Mirrored 12 tags in 3 repositories: copied 0 blobs
// (0 bytes), skipped 40 existing (1234 bytes)", or for a dry run "Dry run: would mirror 12
// tags in 3 repositories: 5 blobs (1234 bytes) and 4 manifests missing at the destination".
func (r *Report) Summary(dryRun bool) string {
	if dryRun {
		return fmt.Sprintf("Dry run: would mirror %d tags in %d repositories: %d blobs (%d bytes) and %d manifests missing at the destination",
			r.Tags, r.Repositories, r.Missing.Blobs, r.Missing.Bytes, r.Missing.Manifests)
	}
	return fmt.Sprintf("Mirrored %d tags in %d repositories: %s", r.Tags, r.Repositories, r.Stats.Summary("copied"))
}

// Err is nil when nothing failed, else an error counting the failures (listed in Failures).
func (r *Report) Err() error {
	if len(r.Failures) == 0 {
		return nil
	}
	return fmt.Errorf("mirror incomplete: %d failed (listed above), %d tags mirrored", len(r.Failures), r.Tags)
}

// job is one tag to copy: where it is read and where it goes.
type job struct {
	srcRepo, dstRepo string
	srcName, dstName string // reference inside the source and destination targets
	tag              string
	src              oras.ReadOnlyGraphTarget
	root             ocispec.Descriptor
	item             Item
}

// Run mirrors src to dst. An error is returned only when nothing could start (a source that
// cannot be listed at all); failures of single repositories and tags are in the Report.
func Run(ctx context.Context, src, dst Side, o Options) (*Report, error) {
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	m := &run{src: src, dst: dst, o: o, rep: &Report{}, targets: map[string]oras.GraphTarget{},
		stats: map[string]*transfer.Stats{}, events: map[string]transfer.Events{}, seen: map[string]map[string]bool{}}
	jobs, err := m.plan(ctx)
	if err != nil {
		return nil, err
	}
	jobs = m.resolve(ctx, jobs)
	m.execute(ctx, jobs)
	return m.report(jobs), nil
}

// run is the state of one Run.
type run struct {
	src, dst Side
	o        Options
	rep      *Report

	mu       sync.Mutex
	targets  map[string]oras.GraphTarget // "src:"/"dst:" + repository → opened target
	stats    map[string]*transfer.Stats  // destination repository → its copies' counts
	events   map[string]transfer.Events
	seen     map[string]map[string]bool // dry run: destination repository → digests counted
	failures []string
}

func (m *run) fail(format string, a ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures = append(m.failures, fmt.Sprintf(format, a...))
}

// open returns the target for repository repo of side s, opened once.
func (m *run) open(ctx context.Context, side string, s Side, repo string) (oras.GraphTarget, target.Ref, error) {
	ref := s.Ref
	if !ref.Layout {
		ref.Repository = repo
	}
	key := side + ":" + repo
	if ref.Layout {
		key = side
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.targets[key]; ok {
		return t, ref, nil
	}
	var (
		t   oras.GraphTarget
		err error
	)
	if side == "src" {
		t, err = target.OpenExisting(ctx, ref, s.Options)
	} else {
		t, err = target.Open(ctx, ref, s.Options)
	}
	if err != nil {
		return nil, ref, target.Explain(err, ref)
	}
	m.targets[key] = t
	return t, ref, nil
}

// execute copies (or, in a dry run, measures) every job: destination repositories in
// parallel, the tags of one repository one after the other, so a blob that several tags
// share (the same artifact under v1 and latest, a common config) is sent once and found in
// place by the next, never uploaded twice at once.
func (m *run) execute(ctx context.Context, jobs []*job) {
	var groups [][]*job
	index := map[string]int{}
	for _, j := range jobs {
		i, ok := index[j.dstRepo]
		if !ok {
			i = len(groups)
			index[j.dstRepo] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], j)
	}
	parallel(len(groups), m.o.Concurrency, func(i int) {
		for _, j := range groups[i] {
			j.item.Err = m.copy(ctx, j)
			if j.item.Err != nil {
				m.fail("%s → %s: %v", j.item.Src, j.item.Dst, j.item.Err)
			}
			if m.o.Done != nil {
				m.o.Done(j.item)
			}
		}
	})
}

func (m *run) copy(ctx context.Context, j *job) error {
	dst, dstRef, err := m.open(ctx, "dst", m.dst, j.dstRepo)
	if err != nil {
		return err
	}
	if m.o.DryRun {
		j.item.Missing, err = m.missing(ctx, j, dst)
		return explainCopy(err, j.item.Src, dstRef)
	}
	stats, events := m.repoStats(j.dstRepo)
	_, err = transfer.Copy(ctx, j.src, j.root.Digest.String(), dst, j.dstName, transfer.Options{
		Concurrency: m.o.Concurrency, Referrers: true, Stats: stats, Events: events, Upload: m.o.Upload,
	})
	if err == nil {
		err = reconcile(ctx, j.src, j.root, stats, map[string]bool{})
	}
	return explainCopy(err, j.item.Src, j.item.Dst)
}

// reconcile counts as skipped the blobs of root and of its referrers (recursively) that the
// copy never visited because the destination already held their manifest, so a second run
// reports everything it found in place (see transfer.Stats.Reconcile).
func reconcile(ctx context.Context, src oras.ReadOnlyGraphTarget, root ocispec.Descriptor, stats *transfer.Stats, seen map[string]bool) error {
	if seen[root.Digest.String()] {
		return nil
	}
	seen[root.Digest.String()] = true
	if err := transfer.ReconcileRoot(ctx, src, root, stats); err != nil {
		return err
	}
	refs, err := registry.Referrers(ctx, src, root, "")
	if err != nil {
		return err
	}
	for _, r := range refs {
		if err := reconcile(ctx, src, r, stats, seen); err != nil {
			return err
		}
	}
	return nil
}

func (m *run) repoStats(repo string) (*transfer.Stats, transfer.Events) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.stats[repo]
	if !ok {
		s = &transfer.Stats{}
		m.stats[repo] = s
		if m.o.Events != nil {
			m.events[repo] = m.o.Events(repo)
		}
	}
	return s, m.events[repo]
}

// explainCopy names the side (source or destination) a copy error came from.
func explainCopy(err error, src, dst target.Ref) error {
	if err == nil {
		return nil
	}
	var ce *oras.CopyError
	if errors.As(err, &ce) {
		switch ce.Origin {
		case oras.CopyErrorOriginSource:
			return fmt.Errorf("source: %w", target.Explain(ce.Err, src))
		case oras.CopyErrorOriginDestination:
			return fmt.Errorf("destination: %w", target.Explain(ce.Err, dst))
		}
	}
	return target.Explain(err, src)
}

// report totals the run.
func (m *run) report(jobs []*job) *Report {
	r := m.rep
	repos := map[string]bool{}
	for _, j := range jobs {
		r.Items = append(r.Items, j.item)
		if j.item.Err != nil {
			continue
		}
		r.Tags++
		repos[j.dstRepo+"\x00"+j.srcRepo] = true
	}
	r.Repositories = len(repos)
	for _, s := range m.stats {
		add(&r.Stats, s)
	}
	slices.SortFunc(r.Items, func(a, b Item) int { return cmpString(a.Src.String(), b.Src.String()) })
	r.Failures = slices.Clone(m.failures)
	slices.Sort(r.Failures)
	return r
}

func add(to, s *transfer.Stats) {
	to.Sent.Add(s.Sent.Load())
	to.SentBytes.Add(s.SentBytes.Load())
	to.Skipped.Add(s.Skipped.Load())
	to.SkippedBytes.Add(s.SkippedBytes.Load())
	to.Mounted.Add(s.Mounted.Load())
	to.MountedBytes.Add(s.MountedBytes.Load())
	to.Manifests.Add(s.Manifests.Load())
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parallel calls fn(0) … fn(n-1) on at most workers goroutines and waits for them.
func parallel(n, workers int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
