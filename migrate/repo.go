package migrate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/fsutil"
	"github.com/eopack/eopack/metadata"
)

// maxManifestSize is the registry's manifest limit; no larger blob is read as a manifest.
const maxManifestSize = 4 << 20

// tagRE is the distribution spec's tag grammar. v1 layouts could hold other ref.name values
// (the seed's "eo/products:v1" form); those are not tags of the registry and are dropped.
var tagRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

// findRepos lists the repositories under root, slash-separated and sorted (a parent before
// the repositories beneath it).
func findRepos(ctx context.Context, root string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() || path == root {
			return nil
		}
		if n := e.Name(); n[0] == '_' || n[0] == '.' || (n == "blobs" && isLayout(filepath.Dir(path))) {
			return filepath.SkipDir
		}
		if isLayout(path) {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			names = append(names, filepath.ToSlash(rel))
		}
		return ctx.Err()
	})
	slices.Sort(names)
	return names, err
}

func isLayout(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, ocispec.ImageLayoutFile))
	return err == nil && fi.Mode().IsRegular()
}

// repo is what the import learns about one repository before storing it.
type repo struct {
	name       string
	files      map[digest.Digest]string   // blobs/<alg>/<hex> files
	mediaTypes map[digest.Digest]string   // manifests' media types from index.json or a parent index
	tags       map[digest.Digest][]string // valid tags per manifest
	manifests  map[digest.Digest]*metadata.PutManifest
	created    map[digest.Digest]time.Time // manifests' file times
	failed     map[digest.Digest]bool      // listed manifests that cannot be stored
}

// importRepo links the blobs of repository name and stores its manifests, children first.
func (im *importer) importRepo(ctx context.Context, name string) error {
	dir := filepath.Join(im.root, filepath.FromSlash(name))
	r := &repo{name: name, files: map[digest.Digest]string{}, mediaTypes: map[digest.Digest]string{},
		tags: map[digest.Digest][]string{}, manifests: map[digest.Digest]*metadata.PutManifest{},
		created: map[digest.Digest]time.Time{}, failed: map[digest.Digest]bool{}}
	var idx ocispec.Index
	if err := readJSON(filepath.Join(dir, ocispec.ImageIndexFile), &idx); err != nil {
		im.skip(name, "", "index.json: "+err.Error())
		return nil
	}
	err := eachBlobFile(ctx, filepath.Join(dir, "blobs"), func(d digest.Digest, path string) error {
		r.files[d] = path
		return nil
	}, func(path string) { im.corruptFile("", path, "not named <algorithm>/<hex digest>") })
	if err != nil {
		return err
	}
	im.rep.Repositories++
	var queue []digest.Digest
	for _, e := range idx.Manifests {
		if r.mediaTypes[e.Digest] == "" {
			r.mediaTypes[e.Digest] = e.MediaType
			queue = append(queue, e.Digest)
		}
		switch t := e.Annotations[ocispec.AnnotationRefName]; {
		case t == "":
		case tagRE.MatchString(t):
			r.tags[e.Digest] = append(r.tags[e.Digest], t)
		default:
			im.rep.DroppedTags = append(im.rep.DroppedTags, name+":"+t)
			im.logf("%s: ref.name %q is not a valid tag, dropped", name, t)
		}
	}
	// Listed manifests and, transitively, their children.
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if r.manifests[d] != nil || r.failed[d] {
			continue
		}
		p, children, err := im.readManifest(ctx, r, d, r.mediaTypes[d])
		if err != nil {
			r.failed[d] = true
			im.skip(name, d, err.Error())
			continue
		}
		r.manifests[d] = p
		for _, c := range children {
			if _, ok := r.files[c.Digest]; ok && r.mediaTypes[c.Digest] == "" {
				r.mediaTypes[c.Digest] = c.MediaType
				queue = append(queue, c.Digest)
			}
		}
	}
	// Every other file: an unlisted manifest, or a blob to link.
	for _, d := range sortedKeys(r.files) {
		if r.manifests[d] != nil || r.failed[d] {
			continue
		}
		ok, err := im.ensure(ctx, d, r.files[d])
		if err != nil {
			return err
		}
		if !ok {
			continue // corrupt: recorded, not linked
		}
		if im.known[d] <= maxManifestSize {
			if p, _, err := im.readManifest(ctx, r, d, ""); err == nil {
				r.manifests[d] = p
				continue
			}
		}
		if err := im.meta.LinkBlob(ctx, name, d, im.known[d]); err != nil {
			return err
		}
		im.rep.Links++
	}
	stored := map[digest.Digest]bool{}
	for _, d := range sortedKeys(r.manifests) {
		if err := im.putManifest(ctx, r, d, stored); err != nil {
			return err
		}
	}
	im.logf("%s: %d manifests, %d blob files", name, len(r.manifests), len(r.files))
	return nil
}

// putManifest stores manifest d of r after its children.
func (im *importer) putManifest(ctx context.Context, r *repo, d digest.Digest, stored map[digest.Digest]bool) error {
	if stored[d] {
		return nil
	}
	stored[d] = true
	p := r.manifests[d]
	for _, c := range p.Children {
		if r.manifests[c] != nil {
			if err := im.putManifest(ctx, r, c, stored); err != nil {
				return err
			}
		}
	}
	p.Repo, p.Tags, p.Manifest.Created = r.name, r.tags[d], r.created[d]
	err := im.meta.PutManifest(ctx, *p)
	if errors.Is(err, metadata.ErrReferenceMissing) || errors.Is(err, metadata.ErrManifestInvalid) {
		im.skip(r.name, d, err.Error())
		return nil
	}
	if err != nil {
		return fmt.Errorf("manifest %s: %w", d, err)
	}
	im.rep.Manifests++
	im.rep.Tags += len(p.Tags)
	if p.Manifest.Subject != "" {
		im.rep.Referrers++
	}
	return nil
}

// readManifest reads and parses manifest d of r (mediaType "": the body's own). It returns
// the descriptors of an index's children too, for their media types.
func (im *importer) readManifest(ctx context.Context, r *repo, d digest.Digest, mediaType string) (*metadata.PutManifest, []ocispec.Descriptor, error) {
	path, ok := r.files[d]
	switch {
	case !ok:
		return nil, nil, errors.New("manifest blob not in the repository")
	case im.corrupt[d]:
		return nil, nil, errors.New("manifest blob corrupt")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.Size() > maxManifestSize {
		return nil, nil, fmt.Errorf("%d bytes, above the %d-byte manifest limit", fi.Size(), maxManifestSize)
	}
	br := bufio.NewReader(fsutil.ContextReader(ctx, f))
	if mediaType == "" {
		// Most blobs are not JSON: one byte tells, without reading them whole.
		if first, err := firstNonSpace(br); err != nil || first != '{' {
			return nil, nil, errors.New("not a manifest")
		}
	}
	body, err := io.ReadAll(io.LimitReader(br, maxManifestSize+1))
	if err != nil {
		return nil, nil, err
	}
	if got := d.Algorithm().FromBytes(body); got != d {
		im.corrupt[d] = true
		im.corruptFile(d, path, "content is "+got.String())
		return nil, nil, errors.New("manifest blob corrupt")
	}
	var fields struct {
		MediaType string               `json:"mediaType"`
		Manifests []ocispec.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, nil, fmt.Errorf("not JSON: %w", err)
	}
	if mediaType == "" && !metadata.IsManifestMediaType(fields.MediaType) {
		return nil, nil, errors.New("not a manifest")
	}
	p, err := metadata.ParseManifest(mediaType, d, body)
	if err != nil {
		return nil, nil, err
	}
	r.created[d] = fi.ModTime().UTC()
	return &p, fields.Manifests, nil
}

// skip records something of repository name that is not imported.
func (im *importer) skip(name string, d digest.Digest, why string) {
	im.rep.Skipped = append(im.rep.Skipped, Issue{Repo: name, Digest: d, Reason: why})
	if d == "" {
		im.logf("%s skipped: %s", name, why)
	} else {
		im.logf("%s@%s skipped: %s", name, d, why)
	}
}

// firstNonSpace peeks at the first byte of br that is not JSON white space.
func firstNonSpace(br *bufio.Reader) (byte, error) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if err != nil {
			return 0, err
		}
		switch c := b[n-1]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c, nil
		}
	}
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func sortedKeys[V any](m map[digest.Digest]V) []digest.Digest {
	keys := make([]digest.Digest, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
