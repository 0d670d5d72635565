// Package target parses references and opens the two kinds of places an artifact lives:
// an OCI image layout folder on disk and a repository in a remote OCI registry. Both are
// returned as oras.GraphTarget, so push, pull and copy are written once against that interface.
//
// Reference forms
//
//	remote:  <registry>/<repository>[:tag|@digest]        (oras-go registry.ParseReference)
//	layout:  <folder>[:tag|@digest]                       (ORAS's --oci-layout form)
//	layout:  <folder>:<repository>:<tag>                  (the seed's form, e.g. eo-layout:eo/products:v1)
//
// In both layout forms the folder may instead be a tar archive of a layout (layout.tar:v1),
// opened read-only as ORAS opens it (layouttar.go).
//
// The seed's form keeps "eo/products:v1" whole as the tag (org.opencontainers.image.ref.name)
// inside the folder "eo-layout". ORAS v1.3.6 instead splits at the LAST colon (fileref.Parse),
// so `oras … --oci-layout eo-layout:eo/products:v1` means folder "eo-layout:eo/products", tag
// "v1". To stay interoperable with layouts ORAS wrote, ParseLayout takes ORAS's reading when
// that folder already holds an OCI layout and the seed's folder does not; otherwise the seed's
// reading. ORAS reads a layout eopack wrote in the seed's form with
// `oras … --oci-layout-path eo-layout eo/products:v1` or `--oci-layout eo-layout@<digest>`.
package target

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/registry"
)

// ErrInvalidReference is wrapped by every reference parsing error.
var ErrInvalidReference = errors.New("invalid reference")

// Ref names an artifact (or a repository/layout when Reference is empty).
type Ref struct {
	Layout     bool   // an OCI image layout folder, not a registry
	Path       string // layout folder (Layout only)
	Registry   string // host[:port] (remote only)
	Repository string // repository name (remote only)
	Reference  string // tag or digest; for layouts any ref.name string; may be empty
	InPath     bool   // a layout named by --oci-layout-path: the argument was Reference alone
}

// String prints the reference in the form it was given in.
func (r Ref) String() string {
	if r.Layout {
		switch {
		case r.Reference == "":
			return r.Path
		case IsDigest(r.Reference):
			return r.Path + "@" + r.Reference
		default:
			return r.Path + ":" + r.Reference
		}
	}
	s := r.Registry + "/" + r.Repository
	switch {
	case r.Reference == "":
		return s
	case IsDigest(r.Reference):
		return s + "@" + r.Reference
	default:
		return s + ":" + r.Reference
	}
}

// Display is ORAS's "[registry] host/repo:tag" / "[oci-layout] dir:tag" form; for a layout
// named by --oci-layout-path, "[oci-layout] tag" (what was typed, as ORAS prints it).
func (r Ref) Display() string {
	if r.InPath {
		return "[oci-layout] " + r.Reference
	}
	if r.Layout {
		return "[oci-layout] " + r.String()
	}
	return "[registry] " + r.String()
}

// With returns r pointing at reference instead (a tag or a digest); a layout named by
// --oci-layout-path then displays as "dir:tag" / "dir@digest", as ORAS does for what it
// derived rather than was given.
func (r Ref) With(reference string) Ref {
	r.Reference = reference
	r.InPath = false
	return r
}

// IsDigest reports whether s parses as a digest (alg:hex).
func IsDigest(s string) bool {
	_, err := digest.Parse(s)
	return err == nil
}

// ParseRemote parses <registry>/<repository>[:tag|@digest].
func ParseRemote(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("empty reference: %w", ErrInvalidReference)
	}
	r, err := registry.ParseReference(s)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "invalid reference: ")
		return Ref{}, fmt.Errorf("%q: %s (want <registry>/<repository>[:tag|@digest]): %w", s, msg, ErrInvalidReference)
	}
	return Ref{Registry: r.Registry, Repository: r.Repository, Reference: r.Reference}, nil
}

// ParseLayout parses <folder>[:tag|@digest] and the seed's <folder>:<repo>:<tag> (see the
// package comment for how the two colon readings are told apart).
func ParseLayout(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("empty OCI layout path: %w", ErrInvalidReference)
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		path, ref := s[:i], s[i+1:]
		if path == "" {
			return Ref{}, fmt.Errorf("%q: empty OCI layout path: %w", s, ErrInvalidReference)
		}
		if _, err := digest.Parse(ref); err != nil {
			return Ref{}, fmt.Errorf("%q: invalid digest %q: %w", s, ref, ErrInvalidReference)
		}
		return Ref{Layout: true, Path: path, Reference: ref}, nil
	}
	first, last := strings.Index(s, ":"), strings.LastIndex(s, ":")
	if first < 0 {
		return Ref{Layout: true, Path: s}, nil
	}
	seed := Ref{Layout: true, Path: s[:first], Reference: s[first+1:]}
	oras := Ref{Layout: true, Path: s[:last], Reference: s[last+1:]}
	if first != last && isLayout(oras.Path) && !isLayout(seed.Path) {
		seed = oras
	}
	if seed.Path == "" {
		return Ref{}, fmt.Errorf("%q: empty OCI layout path: %w", s, ErrInvalidReference)
	}
	if seed.Reference == "" {
		return Ref{}, fmt.Errorf("%q: empty tag after ':': %w", s, ErrInvalidReference)
	}
	return seed, nil
}

// Parse parses s as a layout reference when layout is set, else as a remote one.
func Parse(s string, layout bool) (Ref, error) {
	if layout {
		return ParseLayout(s)
	}
	return ParseRemote(s)
}

// SplitTags splits ORAS's "name:t1,t2,t3" into "name:t1" and the extra tags [t2 t3].
// A reference without a comma is returned unchanged.
func SplitTags(s string) (string, []string) {
	i := strings.LastIndex(s, ":")
	if i < 0 || strings.LastIndex(s, ",") < i {
		return s, nil
	}
	tags := strings.Split(s[i+1:], ",")
	return s[:i+1] + tags[0], tags[1:]
}

// ValidateTag checks that tag is a valid distribution-spec tag.
func ValidateTag(tag string) error {
	r := registry.Reference{Reference: tag}
	if err := r.ValidateReferenceAsTag(); err != nil {
		return fmt.Errorf("tag %q: must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}: %w", tag, ErrInvalidReference)
	}
	return nil
}

// isLayout reports whether path holds an OCI layout: a folder with an oci-layout file, or a
// file (a tar archive of a layout, see layouttar.go).
func isLayout(path string) bool {
	_, err := os.Stat(filepath.Join(path, "oci-layout"))
	return err == nil || isTarLayout(path)
}
