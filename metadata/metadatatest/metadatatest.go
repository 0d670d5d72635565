// Package metadatatest is the test table every metadata.Store engine must pass: each
// engine's tests call Run with a function that opens an empty store.
package metadatatest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/metadata"
)

// Run runs every test against stores from open, which returns a new, empty store and
// closes it when t ends (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) metadata.Store) {
	tests := []struct {
		name string
		fn   func(f fx)
	}{
		{"Empty", testEmpty},
		{"PutManifest", testPutManifest},
		{"PutManifestMissing", testPutManifestMissing},
		{"PutManifestExisting", testPutManifestExisting},
		{"Index", testIndex},
		{"TagMove", testTagMove},
		{"DeleteManifest", testDeleteManifest},
		{"DeleteTag", testDeleteTag},
		{"Referrers", testReferrers},
		{"RepositoriesPaging", testRepositoriesPaging},
		{"TagsPaging", testTagsPaging},
		{"Blobs", testBlobs},
		{"RepositoryDropped", testRepositoryDropped},
		{"Uploads", testUploads},
		{"CompleteUpload", testCompleteUpload},
		{"StaleUploads", testStaleUploads},
		{"UnreferencedLinks", testUnreferencedLinks},
		{"DropLinkRefreshed", testDropLinkRefreshed},
		{"UnusedBlobs", testUnusedBlobs},
		{"LockBlob", testLockBlob},
		{"TryLock", testTryLock},
		{"RacePutDelete", testRacePutDelete},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ConcurrentUploadUpdates", testConcurrentUploadUpdates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(fx{t: t, s: open(t), ctx: t.Context()})
		})
	}
}

// fx is one test's store with helpers that fail the test on unexpected errors.
type fx struct {
	t   *testing.T
	s   metadata.Store
	ctx context.Context
}

func (f fx) ok(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// is fails unless err wraps target.
func (f fx) is(err, target error) {
	f.t.Helper()
	if !errors.Is(err, target) {
		f.t.Fatalf("error %v, want %v", err, target)
	}
}

// blob names a test blob; its size is its name's length.
func blob(name string) digest.Digest { return digest.FromString("blob " + name) }

// link links the blobs named to repo and returns their digests.
func (f fx) link(repo string, names ...string) []digest.Digest {
	f.t.Helper()
	var ds []digest.Digest
	for _, n := range names {
		d := blob(n)
		f.ok(f.s.LinkBlob(f.ctx, repo, d, int64(len(n))))
		ds = append(ds, d)
	}
	return ds
}

// image is a manifest PUT of an image named name with the given blobs and tags.
func image(repo, name string, blobs []digest.Digest, tags ...string) metadata.PutManifest {
	body := []byte(fmt.Sprintf(`{"schemaVersion":2,"name":%q}`, name))
	return metadata.PutManifest{
		Repo: repo,
		Manifest: metadata.Manifest{
			Digest:       digest.FromBytes(body),
			MediaType:    ocispec.MediaTypeImageManifest,
			ArtifactType: "application/vnd.test.config",
			Size:         int64(len(body)),
			Body:         body,
		},
		Blobs: blobs,
		Tags:  tags,
	}
}

// referrer is an artifact named name of artifactType whose subject is subject.
func referrer(repo, name, artifactType string, subject digest.Digest) metadata.PutManifest {
	p := image(repo, name, nil)
	p.Manifest.ArtifactType = artifactType
	p.Manifest.Subject = subject
	p.Manifest.Annotations = map[string]string{"name": name}
	return p
}

func (f fx) put(ps ...metadata.PutManifest) {
	f.t.Helper()
	for _, p := range ps {
		f.ok(f.s.PutManifest(f.ctx, p))
	}
}

// manifest fails unless repo's reference is the manifest with digest want.
func (f fx) manifest(repo, reference string, want digest.Digest) metadata.Manifest {
	f.t.Helper()
	m, err := f.s.Manifest(f.ctx, repo, reference)
	f.ok(err)
	if m.Digest != want {
		f.t.Fatalf("%s:%s is %s, want %s", repo, reference, m.Digest, want)
	}
	return m
}

func (f fx) noManifest(repo, reference string) {
	f.t.Helper()
	_, err := f.s.Manifest(f.ctx, repo, reference)
	f.is(err, metadata.ErrManifestUnknown)
}

func (f fx) tags(repo string, want ...string) {
	f.t.Helper()
	got, err := f.s.Tags(f.ctx, repo, "", -1)
	f.ok(err)
	equal(f.t, "tags of "+repo, got, want)
}

func (f fx) repos(want ...string) {
	f.t.Helper()
	got, err := f.s.Repositories(f.ctx, "", -1)
	f.ok(err)
	equal(f.t, "repositories", got, want)
}

// equal compares lists, treating nil and empty alike.
func equal[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if len(got) != len(want) || !slices.Equal(got, want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
}

// clock brackets a change: every time the store records during it is in [start, end].
type clock struct{ start, end time.Time }

func (f fx) timed(fn func()) clock {
	start := time.Now()
	fn()
	return clock{start, time.Now()}
}

// after is the first instant after the change.
func (c clock) after() time.Time { return c.end.Add(time.Nanosecond) }
