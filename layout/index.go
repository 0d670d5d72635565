package layout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/eopack/eopack/internal/fsutil"
)

// indexCache is index.json as last read, with the file identity it was read from, so reads
// re-parse it only when another process (or goroutine) replaced it.
type indexCache struct {
	doc   ocispec.Index
	stamp fileStamp
}

type fileStamp struct {
	ino, size, mtime, ctime int64
}

func stampOf(fi os.FileInfo) fileStamp {
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		return fileStamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	}
	return fileStamp{ino: int64(st.Ino), size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}
}

func (s *Store) indexPath() string { return filepath.Join(s.root, ocispec.ImageIndexFile) }

// index returns the current index.json entries (a copy).
func (s *Store) index() ([]ocispec.Descriptor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(); err != nil {
		return nil, err
	}
	return append([]ocispec.Descriptor(nil), s.idx.doc.Manifests...), nil
}

// reloadLocked re-reads index.json if it changed on disk. s.mu must be held.
func (s *Store) reloadLocked() error {
	fi, err := os.Stat(s.indexPath())
	if errors.Is(err, fs.ErrNotExist) {
		s.idx = indexCache{}
		return nil
	}
	if err != nil {
		return err
	}
	st := stampOf(fi)
	if st == s.idx.stamp && st.ino != 0 {
		return nil
	}
	data, err := os.ReadFile(s.indexPath())
	if err != nil {
		return err
	}
	var doc ocispec.Index
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", s.indexPath(), err)
	}
	s.idx = indexCache{doc: doc, stamp: st}
	return nil
}

// flock takes the layout's cross-process lock; the returned func releases it.
func (s *Store) flock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.root, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// updateIndex applies fn to the entries of index.json under both locks and writes the result
// atomically if fn changed anything.
func (s *Store) updateIndex(fn func([]ocispec.Descriptor) ([]ocispec.Descriptor, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.flock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.reloadLocked(); err != nil {
		return err
	}
	before, _ := json.Marshal(s.idx.doc.Manifests)
	entries, err := fn(append([]ocispec.Descriptor(nil), s.idx.doc.Manifests...))
	if err != nil {
		return err
	}
	after, _ := json.Marshal(entries)
	if string(before) == string(after) {
		return nil
	}
	return s.writeIndexFile(entries)
}

// writeIndexFile writes index.json with entries, keeping the other fields of the current one.
// The caller holds the file lock (and s.mu if the cache is in use).
func (s *Store) writeIndexFile(entries []ocispec.Descriptor) error {
	doc := s.idx.doc
	doc.Versioned = specs.Versioned{SchemaVersion: 2}
	doc.MediaType = ocispec.MediaTypeImageIndex
	if entries == nil {
		entries = []ocispec.Descriptor{}
	}
	doc.Manifests = entries
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := fsutil.WriteData(s.indexPath(), data, 0o644); err != nil {
		return err
	}
	s.idx.doc = doc
	if fi, err := os.Stat(s.indexPath()); err == nil {
		s.idx.stamp = stampOf(fi)
	}
	return nil
}

func refName(d ocispec.Descriptor) string { return d.Annotations[ocispec.AnnotationRefName] }

// withRef returns d with ref.name set to ref (or removed if ref is empty); d is not modified.
func withRef(d ocispec.Descriptor, ref string) ocispec.Descriptor {
	ann := map[string]string{}
	for k, v := range d.Annotations {
		ann[k] = v
	}
	delete(ann, ocispec.AnnotationRefName)
	if ref != "" {
		ann[ocispec.AnnotationRefName] = ref
	}
	if len(ann) == 0 {
		ann = nil
	}
	d.Annotations = ann
	return d
}

// listManifest adds manifest d to index.json without a tag unless it is already listed.
func (s *Store) listManifest(d ocispec.Descriptor) error {
	return s.updateIndex(func(entries []ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		for _, e := range entries {
			if e.Digest == d.Digest {
				return entries, nil
			}
		}
		return append(entries, withRef(d, "")), nil
	})
}

// Resolve finds the manifest descriptor for a tag (any ref.name string) or a digest.
func (s *Store) Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error) {
	if reference == "" {
		return ocispec.Descriptor{}, errdef.ErrMissingReference
	}
	entries, err := s.index()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	for _, e := range entries {
		if refName(e) == reference {
			return e, nil
		}
	}
	d, err := digest.Parse(reference)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w", reference, errdef.ErrNotFound)
	}
	for _, e := range entries {
		if e.Digest == d {
			return withRef(e, ""), nil
		}
	}
	// A manifest present as a blob but not listed (e.g. a child of an index written by an
	// older tool): learn its media type from its content.
	if n, err := s.node(ocispec.Descriptor{Digest: d}); err == nil && IsManifest(n.desc.MediaType) {
		return n.desc, nil
	}
	return ocispec.Descriptor{}, fmt.Errorf("%s: %w", reference, errdef.ErrNotFound)
}

// Tag points reference at manifest d (moving the tag if it exists). The manifest must be in
// the layout. A digest reference just lists d.
func (s *Store) Tag(ctx context.Context, d ocispec.Descriptor, reference string) error {
	if reference == "" {
		return errdef.ErrMissingReference
	}
	exists, err := s.Exists(ctx, d)
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("%s: %w", d.Digest, errdef.ErrNotFound)
	}
	if reference == d.Digest.String() {
		return s.listManifest(d)
	}
	return s.updateIndex(func(entries []ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		kept := entries[:0]
		for _, e := range entries {
			if refName(e) == reference || (e.Digest == d.Digest && refName(e) == "") {
				continue
			}
			kept = append(kept, e)
		}
		return append(kept, withRef(d, reference)), nil
	})
}

// Untag removes tag reference; its manifest stays listed (without the tag) if no other tag
// names it.
func (s *Store) Untag(ctx context.Context, reference string) error {
	found := false
	err := s.updateIndex(func(entries []ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		var target ocispec.Descriptor
		kept := entries[:0]
		for _, e := range entries {
			if refName(e) == reference {
				found, target = true, e
				continue
			}
			kept = append(kept, e)
		}
		if !found {
			return nil, fmt.Errorf("tag %s: %w", reference, errdef.ErrNotFound)
		}
		for _, e := range kept {
			if e.Digest == target.Digest {
				return kept, nil
			}
		}
		return append(kept, withRef(target, "")), nil
	})
	return err
}

// Tags calls fn once with the sorted tags greater than last.
func (s *Store) Tags(ctx context.Context, last string, fn func(tags []string) error) error {
	entries, err := s.index()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var tags []string
	for _, e := range entries {
		if t := refName(e); t != "" && t > last && !seen[t] {
			seen[t] = true
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	return fn(tags)
}

// Manifests returns the descriptors listed in index.json (tagged entries carry ref.name).
func (s *Store) Manifests(ctx context.Context) ([]ocispec.Descriptor, error) { return s.index() }
