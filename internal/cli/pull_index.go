package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/eopack/eopack/files"
	"github.com/eopack/eopack/target"
)

// Image indexes in pull, as the pinned ORAS CLI (v1.3.6) does them:
//
//   - With --platform, the index's manifest for that platform is picked (oras-go's platform
//     match: os and architecture equal; variant and os_version only when asked) and pulled as
//     if it had been named; the printed digest is that manifest's. On a plain manifest,
//     --platform checks the platform recorded in its image config (ORAS does the same, and
//     likewise refuses an artifact whose config carries no platform).
//   - Without --platform, ORAS copies the whole graph into its file store: the titled files
//     of every child manifest (recursively through nested indexes) land in the one output
//     folder, and the printed digest is the index's. A title used by two children for the same
//     content is written once; the same title for different content fails ("duplicate
//     name") with nothing written. eopack does exactly that, checking every title of every
//     child before writing anything. (ORAS's --format json lists a file shared by two children
//     twice; eopack lists it once.)
//   - The EO hooks (--stac and the layer filters) work on one manifest: on an index they need
//     --platform (or a manifest digest).

// maxIndexDepth bounds nested indexes (content addressing rules out cycles, not depth).
const maxIndexDepth = 8

// manifestLimit is the largest manifest or index pull reads.
const manifestLimit = 4 << 20

func isIndex(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageIndex || mediaType == mediaTypeDockerManifestList
}

const mediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"

// pullRoot fetches what pull starts from: the referenced manifest or index, or with a
// platform, the manifest selected for it.
func pullRoot(ctx context.Context, src oras.ReadOnlyTarget, ref target.Ref, platform *ocispec.Platform) (ocispec.Descriptor, []byte, error) {
	desc, raw, err := oras.FetchBytes(ctx, src, ref.Reference, oras.FetchBytesOptions{MaxBytes: manifestLimit})
	if err != nil {
		return desc, nil, target.Explain(err, ref)
	}
	if platform == nil {
		return desc, raw, nil
	}
	var probe struct {
		MediaType string `json:"mediaType"`
	}
	_ = json.Unmarshal(raw, &probe)
	index := isIndex(desc.MediaType) || isIndex(probe.MediaType)
	// Resolve by digest: the root is known to exist, so a not-found is the platform's.
	ropts := oras.DefaultResolveOptions
	ropts.TargetPlatform = platform
	sel, err := oras.Resolve(ctx, src, desc.Digest.String(), ropts)
	switch {
	case err == nil:
	case index && errors.Is(err, errdef.ErrNotFound):
		return sel, nil, fmt.Errorf("%s: no manifest for platform %s in the index (it has: %s)",
			ref, formatPlatform(platform), indexPlatforms(raw))
	case errors.Is(err, errdef.ErrNotFound):
		return sel, nil, fmt.Errorf("%s: the manifest is for %s, not for platform %s",
			ref, manifestPlatform(ctx, src, raw), formatPlatform(platform))
	case errors.Is(err, errdef.ErrUnsupported):
		return sel, nil, fmt.Errorf("%s: --platform %s: the manifest records no platform (its config is not an image config)", ref, formatPlatform(platform))
	default:
		return sel, nil, target.Explain(err, ref)
	}
	if sel.Digest == desc.Digest {
		return desc, raw, nil
	}
	_, raw, err = oras.FetchBytes(ctx, src, sel.Digest.String(), oras.FetchBytesOptions{MaxBytes: manifestLimit})
	if err != nil {
		return sel, nil, target.Explain(err, ref)
	}
	return sel, raw, nil
}

// formatPlatform writes p as --platform takes it: os/arch[/variant][:os_version].
func formatPlatform(p *ocispec.Platform) string {
	if p == nil {
		return "no platform"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	if p.OSVersion != "" {
		s += ":" + p.OSVersion
	}
	return s
}

// manifestPlatform reads the platform of an image manifest (raw) from its config, for
// error messages.
func manifestPlatform(ctx context.Context, src oras.ReadOnlyTarget, raw []byte) string {
	var m ocispec.Manifest
	if json.Unmarshal(raw, &m) != nil || m.Config.Size > manifestLimit {
		return "an unknown platform"
	}
	b, err := content.FetchAll(ctx, src, m.Config)
	var p ocispec.Platform
	if err != nil || json.Unmarshal(b, &p) != nil || p.OS == "" {
		return "an unknown platform"
	}
	return formatPlatform(&p)
}

// indexPlatforms lists the platforms of an index's manifests, for error messages.
func indexPlatforms(raw []byte) string {
	var idx ocispec.Index
	if json.Unmarshal(raw, &idx) != nil || len(idx.Manifests) == 0 {
		return "no manifests"
	}
	var out []string
	for _, m := range idx.Manifests {
		out = append(out, formatPlatform(m.Platform))
	}
	return strings.Join(out, ", ")
}

// titled collects the titled layers (and titled config) of the manifest or index raw,
// walking into every child of an index, and checks every title before anything is written.
// Within one manifest a title may appear once; across manifests, the same title for the same
// blob is kept once and for a different blob is refused.
type titled struct {
	ctx    context.Context
	src    oras.ReadOnlyTarget
	ref    target.Ref
	byName map[string]titledLayer
	seen   map[string]bool // manifests already walked
	layers []ocispec.Descriptor

	// Set from pull's flags (pull_subject.go); the zero values change nothing.
	includeSubject bool                         // also walk the subject of each manifest and index
	configHook     func(*ocispec.Descriptor)    // may title a manifest's config (--config)
	checkTitle     func(string) (string, error) // nil: files.CheckTitle
}

type titledLayer struct {
	desc     ocispec.Descriptor
	manifest string
}

func newTitled(ctx context.Context, src oras.ReadOnlyTarget, ref target.Ref) *titled {
	return &titled{ctx: ctx, src: src, ref: ref, byName: map[string]titledLayer{}, seen: map[string]bool{}}
}

// walk adds the titled layers under desc (whose bytes are raw).
func (t *titled) walk(desc ocispec.Descriptor, raw []byte, depth int) error {
	if t.seen[desc.Digest.String()] {
		return nil
	}
	t.seen[desc.Digest.String()] = true
	var m struct {
		MediaType string               `json:"mediaType"`
		Manifests []ocispec.Descriptor `json:"manifests"`
		ocispec.Manifest
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%s: manifest %s is not JSON: %w", t.ref, desc.Digest, err)
	}
	if !isIndex(desc.MediaType) && !isIndex(m.MediaType) {
		return t.addManifest(desc, m.Manifest, nil)
	}
	if depth >= maxIndexDepth {
		return fmt.Errorf("%s: indexes nested more than %d deep", t.ref, maxIndexDepth)
	}
	if err := t.subject(m.Subject); err != nil {
		return err
	}
	for _, c := range m.Manifests {
		_, craw, err := oras.FetchBytes(t.ctx, t.src, c.Digest.String(), oras.FetchBytesOptions{MaxBytes: manifestLimit})
		if err != nil {
			return fmt.Errorf("manifest %s of the index: %w", c.Digest, target.Explain(err, t.ref))
		}
		if err := t.walk(c, craw, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// subject walks s, the subject of a manifest or index, with --include-subject.
func (t *titled) subject(s *ocispec.Descriptor) error {
	if !t.includeSubject || s == nil || t.seen[s.Digest.String()] {
		return nil
	}
	_, raw, err := oras.FetchBytes(t.ctx, t.src, s.Digest.String(), oras.FetchBytesOptions{MaxBytes: manifestLimit})
	if err != nil {
		return fmt.Errorf("subject %s: %w", s.Digest, target.Explain(err, t.ref))
	}
	return t.walk(*s, raw, 0)
}

// addManifest adds the titled layers of one manifest that sel keeps (nil keeps all).
func (t *titled) addManifest(desc ocispec.Descriptor, m ocispec.Manifest, sel func(ocispec.Descriptor) bool) error {
	t.seen[desc.Digest.String()] = true
	if t.configHook != nil {
		t.configHook(&m.Config)
	}
	// a subject's files come first, as ORAS lists them (a manifest is done after its subject)
	if err := t.subject(m.Subject); err != nil {
		return err
	}
	check := files.CheckTitle
	if t.checkTitle != nil {
		check = t.checkTitle
	}
	here := map[string]bool{}
	for _, l := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
		title, ok := l.Annotations[ocispec.AnnotationTitle]
		if !ok {
			continue
		}
		name, err := check(title)
		if err != nil {
			return fmt.Errorf("%s: refusing layer %s: %w", t.ref, l.Digest, err)
		}
		if here[name] {
			return fmt.Errorf("%s: two layers are titled %q", t.ref, title)
		}
		here[name] = true
		if prev, ok := t.byName[name]; ok {
			if prev.desc.Digest != l.Digest || files.IsUnpack(prev.desc) != files.IsUnpack(l) {
				return fmt.Errorf("%s: manifests %s and %s both have a file titled %q, with different content",
					t.ref, short(prev.manifest), short(desc.Digest.String()), title)
			}
			continue
		}
		t.byName[name] = titledLayer{l, desc.Digest.String()}
		if sel == nil || sel(l) {
			t.layers = append(t.layers, l)
		}
	}
	return nil
}

func short(d string) string {
	if _, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return hex[:12]
	}
	return d
}
