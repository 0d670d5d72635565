package cli

// Shared pieces of the transfer verbs (push, pull, cp, attach, discover): the status
// printer, media type and annotation parsing. --format and --template are in format.go.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/eopack/eopack/progress"
	"github.com/eopack/eopack/target"
)

// printer writes ORAS-style status lines from concurrent transfers through a progress
// tracker: plain lines, or, on a terminal, bars with the lines above them (progress.go). With
// quiet set (e.g. --format json or go-template) nothing is printed.
type printer struct {
	t   progress.Tracker
	out io.Writer // stdout, where lines go once the bars are closed
}

// newPrinter prints plain lines to w.
func newPrinter(w io.Writer, quiet bool) *printer {
	if quiet {
		w = io.Discard
	}
	return &printer{t: progress.NewPlain(w), out: w}
}

func (p *printer) status(verb string, d ocispec.Descriptor) { p.t.Print(progress.Line(verb, d)) }

func (p *printer) println(a ...any) { p.t.Print(strings.TrimSuffix(fmt.Sprintln(a...), "\n")) }

// warn prints line to stderr, above the bars on a terminal (which is stderr then).
func (p *printer) warn(stderr io.Writer, line string) {
	if _, bars := p.t.(*progress.Terminal); bars {
		p.t.Print(line)
		return
	}
	fmt.Fprintln(stderr, line)
}

// close ends the bars, if any: call it once the transfers are over, before writing to stdout
// past the printer. Later lines are plain, on stdout.
func (p *printer) close() {
	if _, bars := p.t.(*progress.Terminal); bars {
		p.t.Close()
		p.t = progress.NewPlain(p.out)
	}
}

// checkFormat validates --format of the verbs that print text or json only (inspect, manifest
// index); the verbs where ORAS also has go-template use formatFlags (format.go).
func checkFormat(f string) error {
	switch f {
	case "", "text", "json":
		return nil
	}
	return usagef("--format %q: want text or json", f)
}

// checkMediaType refuses media types OCI does not allow in descriptors: OCI media types carry
// no parameters (RFC 6838 type/subtype only; ECR and the image-spec schema reject ';').
func checkMediaType(mt string) error {
	if mt == "" {
		return nil
	}
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		base := strings.TrimSpace(mt[:i])
		return usagef("media type %q has parameters: OCI media types carry none; use %q (keep the full type in an annotation such as stac:type)", mt, base)
	}
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || typ == "" || sub == "" || strings.ContainsAny(mt, " \t\"") {
		return usagef("media type %q: want type/subtype, e.g. image/tiff", mt)
	}
	return nil
}

// splitFileRef splits ORAS's "path[:mediaType]" at the last colon.
func splitFileRef(s string) (path, mediaType string, err error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return s, "", nil
	}
	path, mediaType = s[:i], s[i+1:]
	if path == "" {
		return "", "", usagef("%q: empty file path", s)
	}
	return path, mediaType, nil
}

// Keys of ORAS's --annotation-file for the manifest and the config.
const (
	annotationManifestKey = "$manifest"
	annotationConfigKey   = "$config"
)

// annotationFlags are ORAS's -a/--annotation and --annotation-file.
type annotationFlags struct {
	pairs []string
	file  string
}

// parse returns annotations keyed by "$manifest", "$config" or a file reference.
func (a annotationFlags) parse() (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if a.file != "" && len(a.pairs) > 0 {
		return nil, usagef("`--annotation` and `--annotation-file` cannot be both specified")
	}
	if a.file != "" {
		b, err := os.ReadFile(a.file)
		if err != nil {
			return nil, fmt.Errorf("annotation file: %w", err)
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, fmt.Errorf("annotation file %s: want {\"$manifest\":{…},\"$config\":{…},\"<file>\":{…}}: %w", a.file, err)
		}
	}
	for _, kv := range a.pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("annotation %q: want key=value", kv)
		}
		if out[annotationManifestKey] == nil {
			out[annotationManifestKey] = map[string]string{}
		}
		if _, dup := out[annotationManifestKey][k]; dup {
			return nil, usagef("duplicate annotation key %q", k)
		}
		out[annotationManifestKey][k] = v
	}
	return out, nil
}

// sourceDateEpoch returns the time from SOURCE_DATE_EPOCH, if set.
func sourceDateEpoch() (*time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970", s)
	}
	t := time.Unix(n, 0).UTC()
	return &t, nil
}

// asCopyError unwraps oras-go's CopyError, which says which side failed.
func asCopyError(err error) (*oras.CopyError, bool) {
	var ce *oras.CopyError
	ok := errors.As(err, &ce)
	return ce, ok
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// extraTag is the full tag for an extra tag t of "ref:t1,t2": in a registry t itself; in a
// layout addressed in the seed's form ("eo/products:v1") t replaces the part after the colon.
func extraTag(ref target.Ref, t string) (string, error) {
	if ref.Layout {
		if t == "" {
			return "", usagef("empty extra tag")
		}
		if i := strings.LastIndex(ref.Reference, ":"); i >= 0 {
			return ref.Reference[:i+1] + t, nil
		}
		return t, nil
	}
	if err := target.ValidateTag(t); err != nil {
		return "", usageError{err}
	}
	return t, nil
}

// tagExtras adds each extra tag of "ref:t1,t2" to the artifact through tag, printing
// "Tagged <tag>" for each, and returns all the artifact's tags, ref's own first.
func tagExtras(ref target.Ref, extra []string, p *printer, tag func(full string) error) ([]string, error) {
	var tags []string
	if ref.Reference != "" && !target.IsDigest(ref.Reference) {
		tags = append(tags, ref.Reference)
	}
	for _, t := range extra {
		full, err := extraTag(ref, t)
		if err != nil {
			return nil, err
		}
		if err := tag(full); err != nil {
			return nil, target.Explain(err, ref.With(full))
		}
		tags = append(tags, full)
		p.println("Tagged", full)
	}
	return tags, nil
}
