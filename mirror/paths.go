package mirror

import (
	"fmt"
	"path"
	"strings"

	"oras.land/oras-go/v2/registry"

	"github.com/eopack/eopack/target"
)

// ParseSide parses a mirror argument: with layout set, an OCI image layout folder; else
// "host" (every repository), "host/prefix" (every repository under the prefix, or the one
// repository of that name) or "host/repo". Tags and digests are refused: tags are chosen
// with the filters.
func ParseSide(s string, layout bool) (target.Ref, error) {
	if layout {
		if s == "" {
			return target.Ref{}, fmt.Errorf("empty OCI layout path: %w", target.ErrInvalidReference)
		}
		return target.Ref{Layout: true, Path: s}, nil
	}
	s = strings.TrimSuffix(s, "/")
	host, repo, _ := strings.Cut(s, "/")
	if host == "" {
		return target.Ref{}, fmt.Errorf("%q: no registry host: %w", s, target.ErrInvalidReference)
	}
	if strings.ContainsAny(repo, ":@") {
		return target.Ref{}, fmt.Errorf("%q: mirror takes a registry, prefix or repository, no tag or digest (choose tags with --tag): %w", s, target.ErrInvalidReference)
	}
	probe := host + "/" + repo
	if repo == "" {
		probe = host + "/x"
	}
	if _, err := registry.ParseReference(probe); err != nil {
		return target.Ref{}, fmt.Errorf("%q: %v: %w", s, strings.TrimPrefix(err.Error(), "invalid reference: "), target.ErrInvalidReference)
	}
	return target.Ref{Registry: host, Repository: repo}, nil
}

// Under reports whether repository repo lies under prefix: the prefix itself, a path below
// it, or anything when the prefix is empty ("ns" holds "ns" and "ns/a/b", not "nsx").
func Under(prefix, repo string) bool {
	return prefix == "" || repo == prefix || strings.HasPrefix(repo, prefix+"/")
}

// Map names the destination repository of source repository repo found under srcPrefix,
// keeping its path below the prefix: (ns, ns/a/b, mirror) → mirror/a/b, (ns, ns, mirror) →
// mirror. A destination without a prefix (a bare registry host, or a layout) keeps the
// whole source path: (ns, ns/a/b, "") → ns/a/b.
func Map(srcPrefix, repo, dstPrefix string) (string, error) {
	if !Under(srcPrefix, repo) {
		return "", fmt.Errorf("%q is not under %q", repo, srcPrefix)
	}
	if dstPrefix == "" {
		if repo == "" {
			return "", fmt.Errorf("no destination repository: name one (host/repository)")
		}
		return repo, nil
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(repo, srcPrefix), "/")
	if srcPrefix == "" {
		rel = repo
	}
	return path.Join(dstPrefix, rel), nil
}

// splitLayoutTag reads a tag of a layout as repository and tag: the seed's "eo/a:v1" is
// repository eo/a, tag v1; a bare "v1" (ORAS's form) belongs to no repository.
func splitLayoutTag(name string) (repo, tag string) {
	if i := strings.LastIndex(name, ":"); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "", name
}

// layoutTag is the name a tag of repository repo gets in a destination layout.
func layoutTag(repo, tag string) string {
	if repo == "" {
		return tag
	}
	return repo + ":" + tag
}
