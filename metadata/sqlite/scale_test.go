package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
	"github.com/eopack/eopack/metadata/sqlstore"
)

// TestScale prints timings at the sizes the registry must serve; it asserts nothing about
// time. EOPACK_METADATA_SCALE=N runs it with N manifests (100000 for the full size);
// EOPACK_METADATA_SYNC=NORMAL measures without a sync per commit.
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("EOPACK_METADATA_SCALE"))
	if n == 0 {
		t.Skip("EOPACK_METADATA_SCALE not set")
	}
	ps := slices.Clone(pragmas)
	if sync := os.Getenv("EOPACK_METADATA_SYNC"); sync != "" {
		ps[len(ps)-1] = "synchronous(" + sync + ")"
	}
	dir := os.Getenv("EOPACK_METADATA_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := open(filepath.Join(dir, fmt.Sprintf("scale-%d.db", time.Now().UnixNano())), ps)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(s.LinkBlob(ctx, "big", digest.FromString("config"), 6))

	// Manifest PUTs, each tagged, into one repository.
	window := min(1000, n/10)
	var first, last []time.Duration
	start := time.Now()
	for i := range n {
		p := manifest("big", fmt.Sprintf("v%07d", i))
		t0 := time.Now()
		check(s.PutManifest(ctx, p))
		d := time.Since(t0)
		if i < window {
			first = append(first, d)
		} else if i >= n-window {
			last = append(last, d)
		}
	}
	t.Logf("%d PutManifest in %v", n, time.Since(start))
	t.Logf("PutManifest p50/p95 at manifests [0,%d): %v / %v", window, pct(first, 50), pct(first, 95))
	t.Logf("PutManifest p50/p95 at manifests [%d,%d): %v / %v", n-window, n, pct(last, 50), pct(last, 95))

	timed(t, "Tags page of 1000 from the middle", 20, func() error {
		tags, err := s.Tags(ctx, "big", fmt.Sprintf("v%07d", n/2), 1000)
		if err == nil && len(tags) != min(1000, n-n/2-1) {
			err = fmt.Errorf("%d tags", len(tags))
		}
		return err
	})
	timed(t, "Manifest by tag", 200, func() error {
		_, err := s.Manifest(ctx, "big", fmt.Sprintf("v%07d", n/3))
		return err
	})

	// Referrers of one subject.
	refs := min(10000, n)
	subject := manifest("big", "v0000000").Manifest.Digest
	check(writeMany(ctx, s, refs, func(i int) metadata.PutManifest {
		p := manifest("big", "ref")
		p.Manifest.Body = fmt.Appendf(nil, `{"ref":%d}`, i)
		p.Manifest.Digest = digest.FromBytes(p.Manifest.Body)
		p.Manifest.Subject = subject
		p.Manifest.Annotations = map[string]string{"org.opencontainers.image.created": "2025-01-01T00:00:00Z"}
		p.Blobs, p.Tags = nil, nil
		return p
	}))
	timed(t, fmt.Sprintf("Referrers of a subject with %d referrers", refs), 10, func() error {
		rs, err := s.Referrers(ctx, "big", subject, "")
		if err == nil && len(rs) != refs {
			err = fmt.Errorf("%d referrers", len(rs))
		}
		return err
	})

	// Many repositories.
	repos := min(10000, n)
	start = time.Now()
	for i := range repos {
		check(s.LinkBlob(ctx, fmt.Sprintf("org/repo%05d", i), digest.FromString("config"), 6))
	}
	t.Logf("%d LinkBlob into new repositories in %v", repos, time.Since(start))
	timed(t, fmt.Sprintf("Repositories, all %d", repos+1), 10, func() error {
		_, err := s.Repositories(ctx, "", -1)
		return err
	})
	timed(t, "Repositories page of 1000", 20, func() error {
		_, err := s.Repositories(ctx, "org/repo05000", 1000)
		return err
	})
}

// writeMany puts n manifests from the same goroutine.
func writeMany(ctx context.Context, s *sqlstore.Store, n int, p func(int) metadata.PutManifest) error {
	for i := range n {
		if err := s.PutManifest(ctx, p(i)); err != nil {
			return err
		}
	}
	return nil
}

// timed logs the median of runs of fn.
func timed(t *testing.T, what string, runs int, fn func() error) {
	t.Helper()
	var ds []time.Duration
	for range runs {
		t0 := time.Now()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		ds = append(ds, time.Since(t0))
	}
	t.Logf("%s: median %v, max %v", what, pct(ds, 50), pct(ds, 100))
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s) - 1) * p / 100
	return s[i]
}
