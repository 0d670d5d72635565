package cli

// ORAS's --include-subject, --config and -T/--allow-path-traversal for pull, as the pinned
// ORAS CLI (v1.3.6) does them:
//
//   - --include-subject: the subject of every manifest (and index) pulled is pulled too,
//     recursively; its titled files land in the same output folder, under the same
//     duplicate-title rule as the children of an index (pull_index.go).
//   - --config path[:mediaType]: the config of the first manifest met (the root, or with an
//     index its first manifest) is written to path under the output folder, if its media
//     type is mediaType (any when not given). As in ORAS, --format json does not list it.
//   - -T/--allow-path-traversal: titles that are absolute or climb out of the output folder
//     with ".." are written where they point. Without it they are refused before anything
//     is written (eopack refuses every ".." component, even one that stays inside; ORAS only
//     one that leaves). Each such file is still written through a files.Writer, rooted at
//     the file's own folder: temp file, digest check, rename.

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"

	"github.com/eopack/eopack/files"
)

// pullExtras holds the three flags and what they decided during one pull.
type pullExtras struct {
	includeSubject bool
	config         string // path[:mediaType]
	allowTraversal bool

	configPath, configMediaType string
	configMet                   bool          // the first config has been seen
	configDigest                digest.Digest // the config written to configPath
}

func (x *pullExtras) addFlags(f *pflag.FlagSet) {
	f.BoolVarP(&x.allowTraversal, "allow-path-traversal", "T", false, "allow storing files out of the output directory")
	f.BoolVar(&x.includeSubject, "include-subject", false, "recursively pull the subject of artifacts")
	f.StringVar(&x.config, "config", "", "output manifest config file: `path[:mediaType]` under the output folder (only a config of mediaType, when given)")
}

// setup checks the flags and hooks them into t.
func (x *pullExtras) setup(t *titled) error {
	if x.config != "" {
		p, mt, err := splitFileRef(x.config)
		if err != nil {
			return err
		}
		x.configPath, x.configMediaType = p, mt
		t.configHook = x.titleConfig
	}
	t.includeSubject = x.includeSubject
	t.checkTitle = x.checkTitle
	return nil
}

// titleConfig titles the first config it is shown with --config's path.
func (x *pullExtras) titleConfig(c *ocispec.Descriptor) {
	if x.configMet {
		return
	}
	x.configMet = true
	if x.configMediaType != "" && c.MediaType != x.configMediaType {
		return
	}
	ann := maps.Clone(c.Annotations)
	if ann == nil {
		ann = map[string]string{}
	}
	ann[ocispec.AnnotationTitle] = x.configPath
	c.Annotations = ann
	x.configDigest = c.Digest
}

// listed leaves out of layers the config written for --config (ORAS's json lists no config).
func (x *pullExtras) listed(layers []ocispec.Descriptor) []ocispec.Descriptor {
	if x.configDigest == "" {
		return layers
	}
	var out []ocispec.Descriptor
	for _, l := range layers {
		if l.Digest != x.configDigest || l.Annotations[ocispec.AnnotationTitle] != x.configPath {
			out = append(out, l)
		}
	}
	return out
}

// checkTitle is files.CheckTitle, relaxed by --allow-path-traversal to any title that is not
// empty and has no NUL; without the flag the refusal says how to get past it.
func (x *pullExtras) checkTitle(title string) (string, error) {
	name, err := files.CheckTitle(title)
	if err == nil {
		return name, nil
	}
	clean := filepath.Clean(filepath.FromSlash(title))
	if title == "" || strings.ContainsRune(title, 0) || clean == "." {
		return "", err
	}
	if !x.allowTraversal {
		return "", fmt.Errorf("%w: pulling files outside of the output folder is insecure and blocked by default; if you trust the content producer, use --allow-path-traversal to bypass this check", err)
	}
	return clean, nil
}

// writerFor returns the writer for layer l and l as that writer names it: w itself, or for a
// title that leaves the output folder (only with --allow-path-traversal), a writer rooted at
// the file's own folder with l titled by its base name. done releases that writer.
func (x *pullExtras) writerFor(w *files.Writer, l ocispec.Descriptor) (fw *files.Writer, fl ocispec.Descriptor, done func() error, err error) {
	title := l.Annotations[ocispec.AnnotationTitle]
	if _, err := files.CheckTitle(title); err == nil || !x.allowTraversal {
		return w, l, func() error { return nil }, nil
	}
	dest, err := pulledPath(w.Dir, title)
	if err != nil {
		return nil, l, nil, err
	}
	if fw, err = files.NewWriter(filepath.Dir(dest), w.KeepOld); err != nil {
		return nil, l, nil, err
	}
	fl = l
	fl.Annotations = maps.Clone(l.Annotations)
	fl.Annotations[ocispec.AnnotationTitle] = filepath.Base(dest)
	return fw, fl, fw.Close, nil
}

// pulledPath is the absolute path of the file titled title pulled into out: under out, or
// (a title let through by --allow-path-traversal) where it points, an absolute one as it is.
func pulledPath(out, title string) (string, error) {
	if name, err := files.CheckTitle(title); err == nil {
		return filepath.Abs(filepath.Join(out, name))
	}
	p := filepath.FromSlash(title)
	if !filepath.IsAbs(p) {
		p = filepath.Join(out, p)
	}
	return filepath.Abs(p)
}
