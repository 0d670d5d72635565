package mirror

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Filter selects the tagged artifacts a mirror copies. The zero value selects every tag.
// An artifact is selected when every set condition holds; its referrers always come along.
type Filter struct {
	Tags         []string          // path.Match patterns on the bare tag; none = every tag
	Since        time.Time         // org.opencontainers.image.created at or after; zero = no bound
	ArtifactType string            // exact artifact type (a manifest's artifactType, else its config's media type)
	Annotations  map[string]string // every key present with exactly this value
}

// ParseTagPatterns checks each pattern's syntax so a typo fails before any listing.
func ParseTagPatterns(patterns []string) ([]string, error) {
	for _, p := range patterns {
		if p == "" {
			return nil, fmt.Errorf("--tag: empty pattern")
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("--tag %q: %w", p, err)
		}
	}
	return patterns, nil
}

// ParseAnnotations parses repeated key=value pairs; a key given twice must carry one value.
func ParseAnnotations(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--annotation %q: want key=value", kv)
		}
		if old, dup := out[k]; dup && old != v {
			return nil, fmt.Errorf("--annotation %q: key given twice with different values (%q, %q)", k, old, v)
		}
		out[k] = v
	}
	return out, nil
}

var daysPrefix = regexp.MustCompile(`^([0-9]+)d(.*)$`)

// ParseSince reads --since: a duration before now (Go's form, e.g. 36h or 90m, plus a
// leading number of days, e.g. 7d or 1d12h) or a time (RFC 3339, e.g.
// 2026-11-30T12:00:00Z, or a UTC date such as 2026-11-30).
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := parseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since %q: negative duration", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration (7d, 36h, 90m) or a time (2026-11-30T12:00:00Z, 2026-11-30)", s)
}

func parseDuration(s string) (time.Duration, error) {
	m := daysPrefix.FindStringSubmatch(s)
	if m == nil {
		return time.ParseDuration(s)
	}
	days, err := strconv.Atoi(m[1])
	if err != nil || days > 1e6 {
		return 0, fmt.Errorf("%q: too many days", s)
	}
	d := time.Duration(days) * 24 * time.Hour
	if m[2] != "" {
		rest, err := time.ParseDuration(m[2])
		if err != nil {
			return 0, err
		}
		d += rest
	}
	return d, nil
}

// MatchTag reports whether tag passes the tag patterns.
func (f Filter) MatchTag(tag string) bool {
	if len(f.Tags) == 0 {
		return true
	}
	for _, p := range f.Tags {
		if ok, _ := path.Match(p, tag); ok {
			return true
		}
	}
	return false
}

// NeedsManifest reports whether matching needs the artifact's manifest (beyond its tag).
func (f Filter) NeedsManifest() bool {
	return !f.Since.IsZero() || f.ArtifactType != "" || len(f.Annotations) > 0
}

// artifact is what the filters read from a manifest or an index.
type artifact struct {
	MediaType    string                      `json:"mediaType"`
	ArtifactType string                      `json:"artifactType"`
	Config       *struct{ MediaType string } `json:"config"`
	Annotations  map[string]string           `json:"annotations"`
}

// MatchManifest reports whether the manifest (or index) body b passes the artifact type,
// annotation and --since conditions. An artifact without a parsable
// org.opencontainers.image.created fails --since: nothing says it is recent.
func (f Filter) MatchManifest(b []byte) (bool, error) {
	if !f.NeedsManifest() {
		return true, nil
	}
	var a artifact
	if err := json.Unmarshal(b, &a); err != nil {
		return false, fmt.Errorf("reading manifest: %w", err)
	}
	if f.ArtifactType != "" {
		at := a.ArtifactType
		if at == "" && a.Config != nil {
			at = a.Config.MediaType
		}
		if at != f.ArtifactType {
			return false, nil
		}
	}
	for k, v := range f.Annotations {
		if got, ok := a.Annotations[k]; !ok || got != v {
			return false, nil
		}
	}
	if !f.Since.IsZero() {
		created, err := time.Parse(time.RFC3339Nano, a.Annotations[ocispec.AnnotationCreated])
		if err != nil || created.Before(f.Since) {
			return false, nil
		}
	}
	return true, nil
}
