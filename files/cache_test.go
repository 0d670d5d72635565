package files

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// newCache points the digest cache at an empty folder and forgets what this process read.
func newCache(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", home)
	forgetCache()
	return filepath.Join(home, "eopack")
}

// forgetCache drops the cache files this process read, as a new process would start.
func forgetCache() {
	digestCache.Lock()
	digestCache.folders = map[string]*folderCache{}
	digestCache.Unlock()
}

// cacheFiles lists the folder caches under root (not the sweep stamp).
func cacheFiles(t *testing.T, root string) []string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(root, "digest-cache"))
	var out []string
	for _, e := range ents {
		if e.Name() != sweepStamp {
			out = append(out, filepath.Join(root, "digest-cache", e.Name()))
		}
	}
	return out
}

func TestHashFileCached(t *testing.T) {
	newCache(t)
	p := filepath.Join(t.TempDir(), "b.tif")
	os.WriteFile(p, []byte("first"), 0o644)
	d1, n1, err := HashFileCached(p)
	if err != nil || d1 != digest.FromString("first") || n1 != 5 {
		t.Fatalf("first: %s %d %v", d1, n1, err)
	}
	FlushDigests()
	forgetCache()
	if d, n, ok := CachedDigest(p); !ok || d != d1 || n != 5 {
		t.Fatalf("not cached across processes: %s %d %v", d, n, ok)
	}
	// same size, same mtime, new content: ctime moves, so the cache is not trusted
	fi, _ := os.Stat(p)
	os.WriteFile(p, []byte("secnd"), 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	if _, _, ok := CachedDigest(p); ok {
		t.Fatal("stale entry reported as the file's digest")
	}
	if d, _, _ := HashFileCached(p); d != digest.FromString("secnd") {
		t.Fatalf("stale cache entry used: %s", d)
	}
}

// A folder of files is one cache file, read once and written once; a changed file's entry
// replaces the old one instead of piling up beside it.
func TestDigestCacheOneFilePerFolder(t *testing.T) {
	root := newCache(t)
	dir := t.TempDir()
	names := []string{"a.tif", "b c.tif", "new\nline.tif"}
	for _, n := range names {
		os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644)
		HashFileCached(filepath.Join(dir, n))
	}
	if got := cacheFiles(t, root); len(got) != 0 {
		t.Fatalf("written before the flush: %v", got)
	}
	FlushDigests()
	for round := 0; round < 2; round++ {
		forgetCache()
		for _, n := range names {
			if d, _, ok := CachedDigest(filepath.Join(dir, n)); !ok || d != digest.FromString(n) {
				t.Fatalf("round %d, %q: %s %v", round, n, d, ok)
			}
		}
		os.WriteFile(filepath.Join(dir, "a.tif"), []byte("changed "+string(rune('0'+round))), 0o644)
		HashFileCached(filepath.Join(dir, "a.tif"))
		FlushDigests()
		os.WriteFile(filepath.Join(dir, "a.tif"), []byte("a.tif"), 0o644)
		HashFileCached(filepath.Join(dir, "a.tif"))
		FlushDigests()
	}
	files := cacheFiles(t, root)
	if len(files) != 1 {
		t.Fatalf("cache files: %v, want one for the folder", files)
	}
	b, _ := os.ReadFile(files[0])
	if lines := strings.Count(string(b), "\n"); lines != 1+len(names) {
		t.Fatalf("%d lines, want a header and one per file:\n%s", lines, b)
	}
}

// Two processes that flush entries of one folder: the second keeps the first's.
func TestDigestCacheMergesOtherProcesses(t *testing.T) {
	newCache(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("a"), 0o644)
	os.WriteFile(b, []byte("b"), 0o644)
	HashFileCached(a) // "process 2" read the folder's cache before "process 1" flushed
	first := digestCache.folders
	forgetCache()
	HashFileCached(b)
	FlushDigests()
	digestCache.Lock()
	digestCache.folders = first
	digestCache.Unlock()
	FlushDigests()
	forgetCache()
	for _, p := range []string{a, b} {
		if _, _, ok := CachedDigest(p); !ok {
			t.Fatalf("%s lost", p)
		}
	}
}

func TestDigestCacheSweep(t *testing.T) {
	root := newCache(t)
	gone, old, kept := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{gone, old, kept} {
		os.WriteFile(filepath.Join(d, "f"), []byte(d), 0o644)
		HashFileCached(filepath.Join(d, "f"))
	}
	FlushDigests() // the first sweep: nothing to remove yet
	if n := len(cacheFiles(t, root)); n != 3 {
		t.Fatalf("%d cache files, want 3", n)
	}
	os.RemoveAll(gone)
	month := time.Now().Add(-cacheMaxAge - time.Hour)
	os.Chtimes(cacheFile(root, old), month, month)
	FlushDigests()
	if n := len(cacheFiles(t, root)); n != 3 {
		t.Fatalf("swept twice in a day: %d cache files", n)
	}
	// temporary files a crashed write left (old) and one being written now (fresh)
	leftover := filepath.Join(root, "digest-cache", "."+filepath.Base(cacheFile(root, kept))+".tmp-1")
	fresh := filepath.Join(root, "digest-cache", "."+filepath.Base(cacheFile(root, kept))+".tmp-2")
	for _, p := range []string{leftover, fresh} {
		os.WriteFile(p, []byte("half"), 0o600)
	}
	twoHours := time.Now().Add(-2 * time.Hour)
	os.Chtimes(leftover, twoHours, twoHours)
	day := time.Now().Add(-sweepEvery - time.Minute)
	os.Chtimes(filepath.Join(root, "digest-cache", sweepStamp), day, day)
	FlushDigests()
	got := cacheFiles(t, root)
	want := []string{fresh, cacheFile(root, kept)}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("after the sweep: %v, want only %v", got, want)
	}
}

func TestDigestCacheOff(t *testing.T) {
	root := newCache(t)
	t.Setenv("EOPACK_DIGEST_CACHE", "off")
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("x"), 0o644)
	if d, _, err := HashFileCached(p); err != nil || d != digest.FromString("x") {
		t.Fatal(d, err)
	}
	FlushDigests()
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Fatalf("cache written with EOPACK_DIGEST_CACHE=off: %v", err)
	}
}

// The cache of earlier versions (one file per entry) goes a batch at a time, then entirely.
func TestRemoveOldCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), oldCacheName)
	os.Mkdir(dir, 0o700)
	for i := range oldCacheBatch + 100 {
		os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), nil, 0o600)
	}
	removeOldCache(dir, 0)
	if ents, _ := os.ReadDir(dir); len(ents) != 100 {
		t.Fatalf("%d files left after one batch, want 100", len(ents))
	}
	removeOldCache(dir, time.Hour)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("folder still there: %v", err)
	}
	removeOldCache(dir, time.Hour) // gone: nothing to do
}
