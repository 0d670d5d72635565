package cli

// Target flags shared by the manifest, blob, tag, resolve and repo verbs: ORAS's remote
// flags (target.Options) plus the boolean --oci-layout that makes the reference argument an
// OCI image layout folder ("dir[:tag|@digest]") instead of "registry/repository[:tag|@digest]".

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/internal/fsutil"
	"github.com/eopack/eopack/target"
)

// targetFlags selects where a verb works: a registry (remote flags) or an OCI layout.
type targetFlags struct {
	remote target.Options
	layout bool
}

func (f *targetFlags) addFlags(fs *pflag.FlagSet, layout bool) {
	f.remote.AddFlags(fs)
	if layout {
		fs.BoolVar(&f.layout, "oci-layout", false, "the reference names an OCI image layout folder: `dir[:tag|@digest]`")
		f.remote.AddLayoutPathFlag(fs)
	}
}

// parse parses s as a layout or remote reference; a malformed one is a usage error.
func (f *targetFlags) parse(s string) (target.Ref, error) {
	r, err := f.remote.Parse(s, f.layout)
	if err != nil {
		return target.Ref{}, usageError{err}
	}
	return r, nil
}

// refNeed says what a verb needs after the repository: nothing, a tag or digest, or a digest.
type refNeed int

const (
	anyRef refNeed = iota
	needReference
	needDigest
)

// parseAs is parse plus the check that the reference has what the verb needs.
func (f *targetFlags) parseAs(s string, need refNeed) (target.Ref, error) {
	r, err := f.parse(s)
	if err != nil {
		return r, err
	}
	switch {
	case need == needReference && r.Reference == "":
		return r, usagef("%q: no tag or digest given (want %s)", s, f.form(":<tag>|@<digest>"))
	case need == needDigest && !target.IsDigest(r.Reference):
		return r, usagef("%q: a blob is named by its digest (want %s)", s, f.form("@<digest>"))
	}
	return r, nil
}

// source parses s, reads --password-stdin and opens the existing registry repository or
// layout it names: the start of every verb that reads (manifest fetch/fetch-config/delete,
// blob fetch/delete, tag, resolve, repo tags, inspect, pull, discover, attach).
func (f *targetFlags) source(ctx context.Context, in io.Reader, s string, need refNeed) (target.Ref, oras.GraphTarget, error) {
	r, err := f.parseAs(s, need)
	if err != nil {
		return r, nil, err
	}
	if err := f.readPassword(in, false); err != nil {
		return r, nil, err
	}
	t, err := f.openExisting(ctx, r)
	return r, t, err
}

// platformSource is source for the verbs with --platform (manifest fetch, fetch-config,
// resolve): a malformed platform fails first, before anything is read or opened.
func (f *targetFlags) platformSource(ctx context.Context, in io.Reader, s, platform string) (target.Ref, oras.GraphTarget, *ocispec.Platform, error) {
	p, err := parsePlatform(platform)
	if err != nil {
		return target.Ref{}, nil, nil, err
	}
	r, t, err := f.source(ctx, in, s, needReference)
	return r, t, p, err
}

// resolveIn resolves ref's tag or digest in t, picking platform (nil: none) from an index;
// errors name ref.
func resolveIn(ctx context.Context, t oras.ReadOnlyTarget, ref target.Ref, platform *ocispec.Platform) (ocispec.Descriptor, error) {
	opts := oras.DefaultResolveOptions
	opts.TargetPlatform = platform
	d, err := oras.Resolve(ctx, t, ref.Reference, opts)
	return d, target.Explain(err, ref)
}

// fetchBytesIn is resolveIn plus the manifest's bytes.
func fetchBytesIn(ctx context.Context, t oras.ReadOnlyTarget, ref target.Ref, platform *ocispec.Platform) (ocispec.Descriptor, []byte, error) {
	opts := oras.DefaultFetchBytesOptions
	opts.TargetPlatform = platform
	d, b, err := oras.FetchBytes(ctx, t, ref.Reference, opts)
	return d, b, target.Explain(err, ref)
}

func (f *targetFlags) form(suffix string) string {
	if f.layout {
		return "<folder>" + suffix
	}
	return "<registry>/<repository>" + suffix
}

// readPassword reads --password-stdin; a verb that also reads data from stdin refuses it.
func (f *targetFlags) readPassword(in io.Reader, stdinTaken bool) error {
	if flag := f.remote.StdinFlag(); flag != "" && stdinTaken {
		return usagef("%s cannot be used when the content is read from stdin (-)", flag)
	}
	return f.remote.ReadPassword(in)
}

// open opens r for writing (a layout folder is created when missing).
func (f *targetFlags) open(ctx context.Context, r target.Ref) (oras.GraphTarget, error) {
	t, err := target.Open(ctx, r, f.remote)
	return t, target.Explain(err, r)
}

// openExisting opens r for reading: a layout folder must already exist.
func (f *targetFlags) openExisting(ctx context.Context, r target.Ref) (oras.GraphTarget, error) {
	t, err := target.OpenExisting(ctx, r, f.remote)
	return t, target.Explain(err, r)
}

// asRepository returns t as a remote repository, if it is one.
func asRepository(t oras.ReadOnlyTarget) (*remote.Repository, bool) {
	repo, ok := t.(*remote.Repository)
	return repo, ok
}

// repoPath is what ORAS prints before "@digest": host/repository, or the layout folder.
func repoPath(r target.Ref) string { return r.With("").String() }

// errUnsupportedOnLayout says a verb needs a registry.
var errUnsupportedOnLayout = errors.New("not supported on an OCI image layout")

// writeFileAtomic streams r into path (creating its folder) through a temp file in the same
// folder, calls check (e.g. a digest verification) before the file becomes visible, then
// renames it into place, durably (fsutil.WriteFile). On any error the temp file is removed
// and path is untouched.
func writeFileAtomic(path string, r io.Reader, check func() error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFile(path, 0o644, true, func(w io.Writer) error {
		if _, err := io.Copy(w, r); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		if check != nil {
			return check()
		}
		return nil
	})
}
