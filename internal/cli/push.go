package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/eopack/eopack/files"
	"github.com/eopack/eopack/target"
	"github.com/eopack/eopack/transfer"
)

func init() { register(newPushCommand) }

// ORAS's defaults.
const (
	mediaTypeUnknownConfig   = "application/vnd.unknown.config.v1+json"
	mediaTypeUnknownArtifact = "application/vnd.unknown.artifact.v1"
)

type pushOptions struct {
	targetFlags
	reference      string
	fileRefs       []string
	artifactType   string
	config         string
	annotations    annotationFlags
	exportManifest string
	format         formatFlags
	reproducible   bool
	force          bool // look below manifests the destination already holds
	upload         target.UploadFlags
	cold           *coldUploads // files sent while others are hashed (push_cold.go); nil for layouts
	stac           string       // --stac ITEM.json: build the artifact from a STAC item (push_stac.go)
	stacIn         string       // --stac-in config|layer|both

	spec manifestSpec // --image-spec, --artifact-platform (push_spec.go)
	// --disable-path-validation: absolute paths and ".." are allowed in layer titles
	disablePathValidation bool
}

func newPushCommand(stdio *IO) *cobra.Command {
	var opts pushOptions
	cmd := &cobra.Command{
		Use:   "push [flags] <name>[:<tag>[,<tag>][...]] <file>[:<type>] [...]",
		Short: "Push files to a registry or an OCI image layout",
		Long: `Push files as one artifact. Each file becomes a layer named by its path
(org.opencontainers.image.title); a folder is packed as tar+gzip and unpacked again on pull.
Blobs already at the destination are not sent again.`,
		Example: `  eopack push localhost:5000/eo/products:v1 band.tif:image/tiff item.json:application/geo+json
  eopack push --oci-layout eo-layout:eo/products:v1 --artifact-type application/vnd.my-earth-observation-product.v1 data/imagery.tif:image/tiff
  eopack push --config config.json:application/vnd.oci.image.config.v1+json localhost:5000/app:v1,latest layer.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip
  eopack push --stac item.json localhost:5000/eo/products:v1`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference, opts.fileRefs = args[0], args[1:]
			return runPush(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.addArtifactFlags(f, "artifact type")
	f.StringVar(&opts.stac, "stac", "", "build the artifact from this STAC item `file` (one layer per asset)")
	f.StringVar(&opts.stacIn, "stac-in", "config", "where the STAC item goes: config, layer or both")
	opts.spec.addFlags(f)
	return cmd
}

// addArtifactFlags adds the flags push and attach share: target, concurrency, the manifest's
// artifact type, config and annotations, --export-manifest, --format and --reproducible.
func (o *pushOptions) addArtifactFlags(f *pflag.FlagSet, artifactTypeHelp string) {
	o.addFlags(f, true)
	o.remote.AddConcurrencyFlag(f)
	o.upload.AddUploadFlags(f)
	f.StringVar(&o.artifactType, "artifact-type", "", artifactTypeHelp)
	f.StringVar(&o.config, "config", "", "`path[:mediaType]` of the manifest config file")
	f.StringArrayVarP(&o.annotations.pairs, "annotation", "a", nil, "manifest annotation `key=value`")
	f.StringVar(&o.annotations.file, "annotation-file", "", "`path` of ORAS's annotation JSON ($manifest, $config, per-file keys)")
	f.StringVar(&o.exportManifest, "export-manifest", "", "`path` to write the pushed manifest to")
	o.format.addFlags(f, formatText, formatJSON, formatGoTemplate)
	f.BoolVar(&o.disablePathValidation, "disable-path-validation", false, "skip path validation: allow absolute paths (and \"..\") as file names")
	f.BoolVar(&o.reproducible, "reproducible", false, "same inputs give the same manifest digest (no creation time; fixed times in packed folders; SOURCE_DATE_EPOCH sets the time)")
	f.BoolVar(&o.force, "force", false, "force a deep traversal of the destination graph before tagging the root; useful when the destination is partially populated (e.g. by a registry cache)")
}

// pushInputs is everything a push needs besides the destination. The explicit-files path
// (filePushInputs) and the STAC path (stacPushInputs in push_stac.go) both produce one.
type pushInputs struct {
	Layers              []ocispec.Descriptor // in manifest order
	Open                transfer.OpenFunc    // opens a layer's (or a file-backed config's) bytes
	Config              *ocispec.Descriptor  // nil: the OCI empty config
	ConfigBytes         []byte               // the config's bytes when small and in memory; else read through Open
	ManifestAnnotations map[string]string
	ArtifactType        string
	Subject             *ocispec.Descriptor // attach: the artifact this one refers to
	ImageSpecV1_0       bool                // an image-spec v1.0 manifest (push_spec.go)
	Cleanup             func()              // removes temporary files (packed folders); may be nil
}

func runPush(ctx context.Context, stdio *IO, opts *pushOptions) error {
	if err := opts.format.parse(stdio.Err); err != nil {
		return err
	}
	base, extraTags := opts.remote.SplitTags(opts.reference)
	ref, err := opts.parse(base)
	if err != nil {
		return err
	}
	for _, t := range extraTags {
		if _, err := extraTag(ref, t); err != nil {
			return err
		}
	}
	if err := opts.readPassword(stdio.In, false); err != nil {
		return err
	}
	spec, err := opts.spec.version(opts.config, opts.artifactType)
	if err != nil {
		return err
	}

	p := newTransferPrinter(stdio, opts.format.structured(), opts.remote)
	defer p.close()
	var dst oras.Target
	if !ref.Layout {
		t, err := opts.open(ctx, ref)
		if err != nil {
			return err
		}
		if repo, ok := asRepository(t); ok {
			// as many small blobs in flight as the copy sends (transfer.Options)
			inFlight := max(opts.remote.Concurrency, opts.remote.SmallConcurrency())
			opts.cold = newColdUploads(ctx, repo, opts.upload.Options(), p.t, inFlight)
			defer opts.cold.close()
		}
		dst = t
	}

	var in *pushInputs
	if opts.stac != "" {
		// Contract: stacPushInputs (push_stac.go) reads opts.stac /
		// opts.stacIn (and may use opts.fileRefs, opts.annotations, opts.artifactType) and
		// returns the layers, config and annotations to push; everything after — manifest,
		// dedup, copy, tags, output — is shared with the explicit-files path below.
		in, err = stacPushInputs(ctx, opts)
	} else {
		in, err = filePushInputs(ctx, opts)
	}
	if err != nil {
		return err
	}
	if in.Cleanup != nil {
		defer in.Cleanup()
	}
	ann, err := opts.annotations.parse()
	if err != nil {
		return err
	}
	if err := opts.spec.apply(in, spec, ann[annotationConfigKey]); err != nil {
		return err
	}

	if dst == nil {
		if dst, err = opts.open(ctx, ref); err != nil {
			return err
		}
	}
	opts.cold.wait()
	sent, present := opts.cold.uploaded()
	mdesc, manifest, stats, err := uploadArtifact(ctx, in, dst, ref, opts.reproducible, transfer.Options{Concurrency: opts.remote.Concurrency, SmallConcurrency: opts.remote.SmallConcurrency(), Force: opts.force, Upload: opts.upload.Options(), Uploaded: sent, Present: present}, p)
	if err != nil {
		return err
	}
	tags, err := tagExtras(ref, extraTags, p, func(full string) error {
		// TagBytes PUTs the manifest under the tag (no GET first, as ORAS's TagBytesN)
		_, err := oras.TagBytes(ctx, dst, mdesc.MediaType, manifest, full)
		return err
	})
	if err != nil {
		return err
	}
	p.println(stats.Summary("Pushed"))
	p.close()
	if opts.format.structured() {
		if err := opts.format.write(stdio.Out, newPushModel(repoPath(ref), mdesc, tags)); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdio.Out, "Pushed", ref.Display())
		fmt.Fprintln(stdio.Out, "ArtifactType:", mdesc.ArtifactType)
		fmt.Fprintln(stdio.Out, "Digest:", mdesc.Digest)
	}
	if opts.exportManifest != "" {
		if err := os.WriteFile(opts.exportManifest, manifest, 0o644); err != nil {
			return fmt.Errorf("--export-manifest: %w", err)
		}
	}
	return nil
}

// uploadArtifact builds the manifest for in and copies it with its blobs to dst (tagged
// ref.Reference when that is a tag), skipping blobs dst already has. Shared by push and attach.
func uploadArtifact(ctx context.Context, in *pushInputs, dst oras.Target, ref target.Ref, reproducible bool, xfer transfer.Options, p *printer) (ocispec.Descriptor, []byte, *transfer.Stats, error) {
	manifest, err := buildManifest(in, reproducible)
	if err != nil {
		return ocispec.Descriptor{}, nil, nil, err
	}
	if err := checkManifestSize(dst, len(manifest), len(in.Layers)); err != nil {
		return ocispec.Descriptor{}, nil, nil, err
	}
	mdesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, manifest)
	mdesc.ArtifactType = in.ArtifactType
	mdesc.Annotations = in.ManifestAnnotations

	src := transfer.NewSource(in.Open)
	for _, l := range in.Layers {
		src.AddBlob(l)
	}
	// the empty config, or the empty layer of an artifact without files
	src.AddBytes(ocispec.DescriptorEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
	cfg := ocispec.DescriptorEmptyJSON
	switch {
	case in.Config == nil:
	case in.ConfigBytes != nil:
		cfg = *in.Config
		src.AddBytes(cfg, in.ConfigBytes)
	default:
		cfg = *in.Config
		src.AddBlob(cfg)
	}
	src.AddBytes(mdesc, manifest)

	stats := &transfer.Stats{}
	topts := transfer.Options{
		Concurrency:      xfer.Concurrency,
		SmallConcurrency: xfer.SmallConcurrency,
		Force:            xfer.Force,
		Upload:           xfer.Upload,
		Uploaded:         xfer.Uploaded,
		Present:          xfer.Present,
		Stats:            stats,
		Events:           p.transferEvents("Uploading", "Uploaded ", "Exists   ", "Mounted  "),
	}
	if len(in.Layers) == 0 {
		p.println("Uploading empty artifact")
	}
	tag := ""
	if ref.Reference != "" && !target.IsDigest(ref.Reference) {
		tag = ref.Reference
	}
	blobs := append([]ocispec.Descriptor{cfg}, in.Layers...)
	p.t.Plan(blobs...)
	if err := transfer.CopyRoot(ctx, src, mdesc, dst, tag, topts); err != nil {
		return ocispec.Descriptor{}, nil, nil, explainCopy(err, ref)
	}
	stats.Reconcile(blobs)
	return mdesc, manifest, stats, nil
}

// maxManifestSize is the largest manifest every registry must accept (the distribution
// spec's 4 MiB); CNCF distribution and eopack serve refuse larger ones. About 15,000 titled
// layers fit.
const maxManifestSize = 4 << 20

// checkManifestSize refuses, before any blob is sent, a manifest of size bytes (n layers)
// that a registry would refuse once every blob was uploaded. Layouts have no limit.
func checkManifestSize(dst oras.Target, size, n int) error {
	if _, ok := dst.(*remote.Repository); !ok || size <= maxManifestSize {
		return nil
	}
	return fmt.Errorf("manifest of %d layers is %d bytes, over the 4 MiB (%d bytes) registries accept: push folders as layers (eopack packs a folder as one tar+gzip layer) or split the files across the manifests of an image index", n, size, maxManifestSize)
}

// explainCopy turns an oras copy error into a one-liner for the side it came from.
func explainCopy(err error, ref target.Ref) error {
	var ce *oras.CopyError
	if errors.As(err, &ce) {
		err = ce.Err
	}
	return target.Explain(err, ref)
}

// filePushInputs packs the files named on the command line (ORAS's form path[:mediaType]).
func filePushInputs(ctx context.Context, opts *pushOptions) (*pushInputs, error) {
	if err := checkFilePaths(opts.fileRefs, opts.disablePathValidation); err != nil {
		return nil, err
	}
	ann, err := opts.annotations.parse()
	if err != nil {
		return nil, err
	}
	if err := checkMediaType(opts.artifactType); err != nil {
		return nil, err
	}
	// --reproducible or SOURCE_DATE_EPOCH: fixed times inside packed folders
	modTime, err := sourceDateEpoch()
	if err != nil {
		return nil, err
	}
	if opts.reproducible {
		if modTime == nil {
			t := time.Unix(0, 0).UTC()
			modTime = &t
		}
	}
	defer files.FlushDigests()
	in := &pushInputs{ManifestAnnotations: ann[annotationManifestKey], ArtifactType: opts.artifactType}
	var blobs []*files.Blob
	byDigest := map[digest.Digest]*files.Blob{}
	in.Cleanup = func() {
		for _, b := range blobs {
			b.Close()
		}
	}
	in.Open = func(_ context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
		b, ok := byDigest[d.Digest]
		if !ok {
			return nil, fmt.Errorf("%s: not among the pushed files", d.Digest)
		}
		return b.Open()
	}
	fail := func(err error) (*pushInputs, error) { in.Cleanup(); return nil, err }
	seen := map[string]bool{}
	var jobs []packJob
	for _, fr := range opts.fileRefs {
		p, mt, err := splitFileRef(fr)
		if err != nil {
			return fail(err)
		}
		if err := checkMediaType(mt); err != nil {
			return fail(err)
		}
		title := filepath.ToSlash(filepath.Clean(p))
		if a, ok := ann[p]["org.opencontainers.image.title"]; ok {
			title = a
		}
		if _, err := files.CheckTitle(title); err != nil && !opts.disablePathValidation {
			return fail(usageError{fmt.Errorf("%s: %w (--disable-path-validation pushes it as it is)", p, err)})
		}
		if seen[title] {
			return fail(usagef("%s: given twice", p))
		}
		seen[title] = true
		jobs = append(jobs, packJob{path: p, title: title, mediaType: mt})
	}
	po := files.PackOptions{ModTime: modTime}
	if opts.cold != nil {
		po.Digest = opts.cold.digest
		if manifestBound(jobs, ann) <= maxManifestSize {
			opts.cold.allowEarly()
		}
	}
	packed, err := packAll(ctx, jobs, po, opts.remote.Concurrency)
	for _, b := range packed {
		if b != nil {
			blobs = append(blobs, b)
		}
	}
	if err != nil {
		return fail(err)
	}
	for i, b := range packed {
		byDigest[b.Desc.Digest] = b
		for k, v := range ann[jobs[i].path] {
			b.Desc.Annotations[k] = v
		}
		in.Layers = append(in.Layers, b.Desc)
	}
	if opts.config != "" {
		p, mt, err := splitFileRef(opts.config)
		if err != nil {
			return fail(err)
		}
		if mt == "" {
			mt = mediaTypeUnknownConfig
		}
		if err := checkMediaType(mt); err != nil {
			return fail(err)
		}
		d, n, err := files.HashFile(p)
		if err != nil {
			return fail(fmt.Errorf("--config: %w", err))
		}
		b := &files.Blob{Path: p, Desc: ocispec.Descriptor{MediaType: mt, Digest: d, Size: n, Annotations: ann[annotationConfigKey]}}
		blobs = append(blobs, b)
		byDigest[d] = b
		in.Config = &b.Desc
	}
	return in, nil
}

// manifestBound is more than the manifest of jobs can take: every layer's descriptor with
// room for the longest digest, size and media type a push writes, the annotations as given,
// and 64 KiB for the rest (config, subject, artifact type).
func manifestBound(jobs []packJob, ann map[string]map[string]string) int {
	n := 64 << 10
	for _, k := range []string{annotationManifestKey, annotationConfigKey} {
		b, _ := json.Marshal(ann[k])
		n += len(b)
	}
	for _, j := range jobs {
		a := map[string]string{ocispec.AnnotationTitle: j.title}
		for k, v := range ann[j.path] {
			a[k] = v
		}
		b, _ := json.Marshal(a)
		n += 512 + len(j.mediaType) + len(b)
	}
	return n
}

// buildManifest writes an OCI image manifest (image-spec v1.1): the OCI empty config when
// none is given, artifactType (ORAS's unknown type when neither it nor a config is given),
// the empty descriptor as the only layer when there are no files, and the creation time
// annotation unless reproducible (SOURCE_DATE_EPOCH sets it then).
func buildManifest(in *pushInputs, reproducible bool) ([]byte, error) {
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: in.ArtifactType,
		Layers:       in.Layers,
		Subject:      in.Subject,
	}
	if in.Config != nil {
		m.Config = *in.Config
	} else {
		m.Config = ocispec.DescriptorEmptyJSON // with "data": "e30=", as ORAS writes it
		if m.ArtifactType == "" {
			m.ArtifactType = mediaTypeUnknownArtifact
		}
	}
	switch {
	case len(m.Layers) == 0 && in.ImageSpecV1_0:
		m.Layers = []ocispec.Descriptor{} // "layers": [], as ORAS's v1.0
	case len(m.Layers) == 0:
		m.Layers = []ocispec.Descriptor{ocispec.DescriptorEmptyJSON}
	}
	ann := map[string]string{}
	for k, v := range in.ManifestAnnotations {
		ann[k] = v
	}
	if _, ok := ann[ocispec.AnnotationCreated]; !ok {
		epoch, err := sourceDateEpoch()
		if err != nil {
			return nil, err
		}
		switch {
		case epoch != nil:
			ann[ocispec.AnnotationCreated] = epoch.Format(time.RFC3339)
		case !reproducible:
			ann[ocispec.AnnotationCreated] = time.Now().UTC().Format(time.RFC3339)
		}
	}
	if len(ann) > 0 {
		m.Annotations = ann
	}
	in.ManifestAnnotations = m.Annotations
	in.ArtifactType = m.ArtifactType
	if in.ImageSpecV1_0 {
		in.ArtifactType = m.Config.MediaType // the descriptor's type, as oras-go packs v1.0
	}
	return json.Marshal(m)
}
