package registry

import (
	"regexp"
	"strings"
)

// kind is which endpoint of the spec a path addresses.
type kind int

const (
	kindNone      kind = iota
	kindBase           // /v2/
	kindCatalog        // /v2/_catalog
	kindBlob           // /v2/<name>/blobs/<digest>
	kindUploads        // /v2/<name>/blobs/uploads/
	kindUpload         // /v2/<name>/blobs/uploads/<id>
	kindManifest       // /v2/<name>/manifests/<reference>
	kindTags           // /v2/<name>/tags/list
	kindReferrers      // /v2/<name>/referrers/<digest>
)

// route is a parsed request path: the endpoint, the repository name and the last element
// (digest, reference or upload id).
type route struct {
	kind kind
	name string
	ref  string
}

var (
	// https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pulling-manifests
	nameRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
	tagRE  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// maxNameLength bounds a repository name (the spec allows 255 characters with the host).
const maxNameLength = 255

// validName reports whether name is a repository name this registry accepts: any name of
// the spec's grammar, "blobs" or "manifests" components included (routes are parsed from the
// end of the path).
func validName(name string) bool {
	return len(name) <= maxNameLength && nameRE.MatchString(name)
}

func validTag(tag string) bool { return tagRE.MatchString(tag) }

// parseRoute splits an escaped or unescaped URL path into a route. Endpoints are recognised
// from the end of the path, so names may contain any components. A route whose name is not
// valid keeps kind set and name as given: the handler answers NAME_INVALID.
func parseRoute(path string) route {
	if path == "/v2/" || path == "/v2" {
		return route{kind: kindBase}
	}
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return route{}
	}
	if rest == "_catalog" {
		return route{kind: kindCatalog}
	}
	parts := strings.Split(rest, "/")
	n := len(parts)
	at := func(i int) string { // i counted from the end: at(1) is the last part
		if i > n {
			return ""
		}
		return parts[n-i]
	}
	name := func(drop int) string { return strings.Join(parts[:n-drop], "/") }
	switch {
	case n >= 3 && at(2) == "tags" && at(1) == "list":
		return route{kind: kindTags, name: name(2)}
	case n >= 3 && at(3) == "blobs" && at(2) == "uploads":
		if at(1) == "" {
			return route{kind: kindUploads, name: name(3)}
		}
		return route{kind: kindUpload, name: name(3), ref: at(1)}
	case n >= 3 && at(2) == "blobs" && at(1) == "uploads":
		return route{kind: kindUploads, name: name(2)}
	case n >= 3 && at(2) == "blobs":
		return route{kind: kindBlob, name: name(2), ref: at(1)}
	case n >= 3 && at(2) == "manifests":
		return route{kind: kindManifest, name: name(2), ref: at(1)}
	case n >= 3 && at(2) == "referrers":
		return route{kind: kindReferrers, name: name(2), ref: at(1)}
	}
	return route{}
}
