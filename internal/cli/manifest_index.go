package cli

// `eopack manifest index create|update`: ORAS 1.3.6's index verbs. The index is the JSON ORAS
// writes (json.Marshal of ocispec.Index: schemaVersion, mediaType, artifactType, manifests,
// annotations), each child listed as ORAS lists it (media type, digest, size, artifact type,
// and for an image the platform read from its config), so an index eopack makes has the digest
// ORAS gives the same index. Status lines and errors are ORAS's too. When children are EO
// products, the index also gets the summary annotations of stac/index.go (union bbox, time
// range, shared collection); without EO children it carries none.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/eopack/eopack/layout"
	"github.com/eopack/eopack/target"
)

func newManifestIndexCommand(stdio *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "index",
		Short: "Index operations: create, update",
	}
	cmd.AddCommand(newManifestIndexCreateCommand(stdio), newManifestIndexUpdateCommand(stdio))
	return cmd
}

// indexFlags are the flags create and update share.
type indexFlags struct {
	targetFlags
	artifactType string
	output       string
	pretty       bool
	format       string
}

func (o *indexFlags) addFlags(f *pflag.FlagSet, artifactTypeUsage string) {
	o.targetFlags.addFlags(f, true)
	f.StringVar(&o.artifactType, "artifact-type", "", artifactTypeUsage)
	f.StringVarP(&o.output, "output", "o", "", "file `path` to write the created index to, use - for stdout")
	f.BoolVar(&o.pretty, "pretty", false, "prettify JSON objects printed to stdout")
	f.StringVar(&o.format, "format", "text", "output format: text or json (the index's descriptor, reference and tags)")
}

// mediaTypeRE is the media type syntax of the image-spec schema (defs-descriptor.json), which
// ORAS checks --artifact-type against.
var mediaTypeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$`)

// check validates --format, --output and --artifact-type before anything is read.
func (o *indexFlags) check() error {
	if err := checkFormat(o.format); err != nil {
		return err
	}
	if o.output == "-" && o.format == "json" {
		return usagef("`--output -` cannot be used with `--format json` at the same time")
	}
	if o.artifactType != "" && !mediaTypeRE.MatchString(o.artifactType) {
		return usageError{fmt.Errorf("%s: %w", o.artifactType, errdef.ErrInvalidMediaType)}
	}
	return nil
}

// indexStatus prints ORAS's index status lines, quiet with --output - and --format json.
type indexStatus struct{ *printer }

func newIndexStatus(stdio *IO, o *indexFlags) indexStatus {
	return indexStatus{newPrinter(stdio.Out, o.output == "-" || o.format == "json")}
}

// line prints "<verb padded> <args>", e.g. "Fetching  linux-amd64".
func (s indexStatus) line(verb string, a ...any) {
	s.println(append([]any{fmt.Sprintf("%-9s", verb)}, a...)...)
}

// ref prints verb for a manifest named on the command line: "Fetched   sha256:… v1", or the
// digest alone when that is how it was named.
func (s indexStatus) ref(verb, reference string, d ocispec.Descriptor) {
	if target.IsDigest(reference) {
		s.line(verb, reference)
		return
	}
	s.line(verb, d.Digest, reference)
}

// fetchNamed fetches reference, a tag or digest in repo's repository or layout, printing
// Fetching and, when it is a manifest (an index with wantIndex), Fetched.
func fetchNamed(ctx context.Context, t oras.ReadOnlyTarget, st indexStatus, repo target.Ref, reference string, wantIndex bool) (ocispec.Descriptor, []byte, error) {
	what, article, ok := "manifest", "a", layout.IsManifest
	if wantIndex {
		what, article, ok = "index", "an", isIndex
	}
	st.line("Fetching", reference)
	desc, raw, err := oras.FetchBytes(ctx, t, reference, oras.DefaultFetchBytesOptions)
	if err != nil {
		return desc, nil, fmt.Errorf("could not find the %s %s: %w", what, reference, target.Explain(err, repo.With(reference)))
	}
	if !ok(desc.MediaType) {
		return desc, nil, fmt.Errorf("%s is not %s %s", reference, article, what)
	}
	st.ref("Fetched", reference, desc)
	return desc, raw, nil
}

// fetchChild fetches reference as a manifest (fetchNamed) and returns the descriptor an
// index lists for it, as ORAS writes it (media type, digest, size, artifact type, and for an
// image its config's platform), and the child's own annotations.
func fetchChild(ctx context.Context, t oras.ReadOnlyTarget, st indexStatus, repo target.Ref, reference string) (ocispec.Descriptor, map[string]string, error) {
	desc, raw, err := fetchNamed(ctx, t, st, repo, reference, false)
	if err != nil {
		return desc, nil, err
	}
	var m struct {
		ArtifactType string             `json:"artifactType"`
		Config       ocispec.Descriptor `json:"config"`
		Annotations  map[string]string  `json:"annotations"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("%s: %w", reference, err)
	}
	d := ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size, ArtifactType: m.ArtifactType}
	if !isIndex(desc.MediaType) {
		if d.Platform, err = configPlatform(ctx, t, m.Config); err != nil {
			return ocispec.Descriptor{}, nil, target.Explain(err, repo)
		}
	}
	return d, m.Annotations, nil
}

// configPlatform reads the platform fields (architecture, os, …) of an image's config, nil
// when it has none (an artifact's config, a STAC item).
func configPlatform(ctx context.Context, t oras.ReadOnlyTarget, cfg ocispec.Descriptor) (*ocispec.Platform, error) {
	if cfg.Size > maxManifestBytes {
		return nil, fmt.Errorf("config size %v exceeds MaxBytes %v: %w", cfg.Size, maxManifestBytes, errdef.ErrSizeExceedsLimit)
	}
	b, err := content.FetchAll(ctx, t, cfg)
	if err != nil {
		return nil, err
	}
	var p ocispec.Platform
	if json.Unmarshal(b, &p) != nil || (p.Architecture == "" && p.OS == "") {
		return nil, nil
	}
	return &p, nil
}

// withAnnotations returns ann plus extra (extra wins), nil when both are empty.
func withAnnotations(ann, extra map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range []map[string]string{ann, extra} {
		for k, v := range m {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// stored is where a made index goes: the reference it is pushed to, what "Pushed" names, and
// the extra tags (already checked).
type stored struct {
	ref      target.Ref
	pushedAs string
	extra    []string
}

// storeIndex marshals idx as ORAS does and reports it with packed; then writes it where
// --output says, or else pushes it to t, tagged as s says; then prints the result.
func storeIndex(ctx context.Context, stdio *IO, o *indexFlags, st indexStatus, t oras.Target, s stored, idx ocispec.Index, packed func(ocispec.Descriptor)) error {
	raw, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	desc := content.NewDescriptorFromBytes(idx.MediaType, raw)
	packed(desc)
	switch o.output {
	case "":
	case "-":
		if err := writeContent(stdio.Out, raw, o.pretty); err != nil {
			return err
		}
	default: // a file gets the bytes pushed, never indented (as ORAS)
		if err := writeFileAtomic(o.output, bytes.NewReader(raw), nil); err != nil {
			return err
		}
	}
	var tags []string
	if o.output == "" {
		if err := pushIndex(ctx, t, s.ref, desc, raw); err != nil {
			return err
		}
		st.line("Pushed", s.pushedAs)
		tags, err = tagExtras(s.ref, s.extra, st.printer, func(full string) error {
			_, err := oras.TagBytes(ctx, t, desc.MediaType, raw, full)
			return err
		})
		if err != nil {
			return err
		}
	}
	desc.ArtifactType, desc.Annotations = idx.ArtifactType, idx.Annotations
	return writeIndexResult(stdio, o, s.ref, desc, tags)
}

// pushIndex stores the index in t, tagged ref.Reference when that is a tag, else by digest
// (an index already there is not an error).
func pushIndex(ctx context.Context, t oras.Target, ref target.Ref, desc ocispec.Descriptor, raw []byte) error {
	if ref.Reference == "" || target.IsDigest(ref.Reference) {
		err := t.Push(ctx, desc, bytes.NewReader(raw))
		if errors.Is(err, errdef.ErrAlreadyExists) {
			return nil
		}
		return target.Explain(err, ref)
	}
	_, err := oras.TagBytes(ctx, t, desc.MediaType, raw, ref.Reference)
	return target.Explain(err, ref)
}

// indexResult is --format json of create and update: the shape of ORAS's push --format json
// (the index's descriptor, its digest reference, and its tags as full references).
type indexResult struct {
	Reference string `json:"reference"`
	ocispec.Descriptor
	ReferenceAsTags []string `json:"referenceAsTags"`
}

// writeIndexResult prints what create and update end with: "Digest: sha256:…" as ORAS, or
// with --format json an indexResult; nothing with --output -. All of create's and update's
// result output is here (status lines aside).
func writeIndexResult(stdio *IO, o *indexFlags, ref target.Ref, desc ocispec.Descriptor, tags []string) error {
	switch {
	case o.output == "-":
		return nil
	case o.format == "json":
		path := repoPath(ref)
		res := indexResult{Reference: path + "@" + desc.Digest.String(), Descriptor: desc, ReferenceAsTags: []string{}}
		for _, t := range tags {
			res.ReferenceAsTags = append(res.ReferenceAsTags, path+":"+t)
		}
		return writeJSON(stdio.Out, res, true)
	}
	_, err := fmt.Fprintln(stdio.Out, "Digest:", desc.Digest)
	return err
}

// checkExtraTags checks the extra tags of an index before anything is fetched.
func checkExtraTags(ref target.Ref, tags []string) error {
	for _, t := range tags {
		if _, err := extraTag(ref, t); err != nil {
			return err
		}
	}
	return nil
}
