package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/eopack/eopack/files"
	"github.com/eopack/eopack/remote"
	"github.com/eopack/eopack/target"
	"github.com/eopack/eopack/transfer"
)

func init() { register(newPullCommand) }

type pullOptions struct {
	targetFlags
	reference string
	output    string
	keepOld   bool
	format    formatFlags
	platform  string     // ORAS's --platform: os[/arch][/variant][:os_version]
	extras    pullExtras // --include-subject, --config, --allow-path-traversal (pull_subject.go)
	// EO selection (see pull_stac.go): any of these set makes pull ask stacPullPlan.
	stac        bool
	assets      []string
	bands       []string
	roles       []string
	mediaTypes  []string
	annotations []string

	verify verifyFlags // --verify with --key/--certificate/--policy (verify_before.go)
}

func newPullCommand(stdio *IO) *cobra.Command {
	var opts pullOptions
	cmd := &cobra.Command{
		Use:   "pull [flags] <name>{:<tag>|@<digest>}",
		Short: "Pull files from a registry or an OCI image layout",
		Long: `Pull the files of an artifact into a folder, each under its title
(org.opencontainers.image.title). Every file is written to a temporary file, checked
against its digest and size, then renamed into place; files already present with the right
digest are not downloaded again. A large file from a registry is received into a hidden
.NAME.partial beside its name: if the pull is interrupted, running it again fetches only
what is missing (and still checks the whole file). Titles that are absolute, contain "..",
or would land outside the output folder (also through a symlink) are refused.

On an image index, --platform pulls the manifest for that platform; without it, the files of
every manifest of the index are pulled into the folder (as ORAS does), and two manifests
giving the same title to different content are refused before anything is written.`,
		Example: `  eopack pull localhost:5000/eo/products:v1 --output ./retrieved
  eopack pull --oci-layout eo-layout:eo/products:v1 -o ./retrieved
  eopack pull localhost:5000/eo/products:v1 --band B04 -o ./b04
  eopack pull localhost:5000/eo/multi:v1 --platform linux/arm64 -o ./arm64`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.reference = args[0]
			return runPull(cmd.Context(), stdio, &opts)
		},
	}
	f := cmd.Flags()
	opts.addFlags(f, true)
	opts.remote.AddConcurrencyFlag(f)
	f.StringVarP(&opts.output, "output", "o", ".", "output `folder`")
	f.BoolVar(&opts.keepOld, "keep-old-files", false, "do not replace existing files (fail instead)")
	opts.format.addFlags(f, formatText, formatJSON, formatGoTemplate)
	f.StringVar(&opts.platform, "platform", "", "pull the manifest for this "+platformForm+" from an image index")
	opts.extras.addFlags(f)
	opts.verify.addFlags(f)
	f.BoolVar(&opts.stac, "stac", false, "write the artifact's STAC item (item.json) pointing at the pulled files")
	f.StringArrayVar(&opts.assets, "asset", nil, "pull only the STAC asset with this `key` (repeatable)")
	f.StringArrayVar(&opts.bands, "band", nil, "pull only layers of this `band` (eo:band, repeatable)")
	f.StringArrayVar(&opts.roles, "role", nil, "pull only STAC assets with this `role` (repeatable)")
	f.StringArrayVar(&opts.mediaTypes, "media-type", nil, "pull only layers of this `media type` (repeatable)")
	f.StringArrayVar(&opts.annotations, "annotation", nil, "pull only layers with annotation `key=value` (repeatable)")
	return cmd
}

// pullPlan narrows a pull (stacPullPlan in pull_stac.go makes one from the EO flags).
type pullPlan struct {
	// Select says which titled layers to fetch; nil fetches all of them.
	Select func(ocispec.Descriptor) bool
	// After runs once the selected files are written (e.g. to write item.json); pulled are
	// the layers that are now present under outDir (downloaded or already there).
	After func(ctx context.Context, outDir string, pulled []ocispec.Descriptor) error
}

func (o *pullOptions) eoSelection() bool {
	return o.stac || len(o.assets)+len(o.bands)+len(o.roles)+len(o.mediaTypes)+len(o.annotations) > 0
}

func runPull(ctx context.Context, stdio *IO, opts *pullOptions) error {
	if err := opts.format.parse(stdio.Err); err != nil {
		return err
	}
	if err := opts.verify.check(); err != nil {
		return err
	}
	ref, src, err := opts.source(ctx, stdio.In, opts.reference, needReference)
	if err != nil {
		return err
	}
	platform, err := parsePlatform(opts.platform)
	if err != nil {
		return err
	}
	mdesc, raw, err := pullRoot(ctx, src, ref, platform)
	if err != nil {
		return err
	}
	var manifest ocispec.Manifest
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return fmt.Errorf("%s: manifest is not JSON: %w", ref, err)
	}
	index := isIndex(mdesc.MediaType) || isIndex(manifest.MediaType)

	plan := &pullPlan{}
	if opts.eoSelection() {
		if index {
			return fmt.Errorf("%s is an image index: --stac and the layer filters work on one manifest: add --platform or pull a manifest by digest (see `eopack manifest fetch %s`)", ref, ref)
		}
		// Contract: stacPullPlan (pull_stac.go) reads the EO flags in
		// opts and the manifest, and returns which layers to fetch plus a step to run after
		// the files are written. Fetching, verifying and writing stay here.
		if plan, err = stacPullPlan(ctx, opts, ref, src, manifest); err != nil {
			return err
		}
	}

	// Check every title (of every manifest of an index, see pull_index.go) before writing
	// anything: a hostile manifest writes nothing.
	tl := newTitled(ctx, src, ref)
	if err := opts.extras.setup(tl); err != nil {
		return err
	}
	if index {
		err = tl.walk(mdesc, raw, 0)
	} else {
		err = tl.addManifest(mdesc, manifest, plan.Select)
	}
	if err != nil {
		return err
	}
	layers := tl.layers
	if err := opts.verify.before(ctx, textOut(stdio, opts.format), src, ref, layers); err != nil {
		return err
	}

	w, err := files.NewWriter(opts.output, opts.keepOld)
	if err != nil {
		return err
	}
	defer w.Close()
	p := newTransferPrinter(stdio, opts.format.structured(), opts.remote)
	defer p.close()
	p.t.Plan(layers...)
	stats := &transfer.Stats{}
	g, gctx := errgroup.WithContext(ctx)
	conc := opts.remote.Concurrency
	if conc <= 0 {
		conc = target.DefaultConcurrency
	}
	// small files go many at once (their cost is round trips), at most conc large ones
	g.SetLimit(max(conc, opts.remote.SmallConcurrency()))
	large := make(chan struct{}, conc)
	fetcher := remote.NewFetcher(src, conc) // large blobs of a registry: parallel ranges
	for _, l := range layers {
		g.Go(func() error {
			if l.Size >= transfer.SmallBlobSize {
				select {
				case large <- struct{}{}:
					defer func() { <-large }()
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			fw, fl, done, err := opts.extras.writerFor(w, l) // w and l, but for -T titles
			if err != nil {
				return err
			}
			defer done()
			if ok, err := fw.Present(fl); err != nil {
				return err
			} else if ok {
				stats.Skipped.Add(1)
				stats.SkippedBytes.Add(l.Size)
				p.t.Unplan(l)
				p.status("Exists     ", l)
				return nil
			}
			verb := "Downloading"
			if fw.Resumable(fl) > 0 {
				verb = "Resuming   " // an interrupted run left part of it
			}
			bar := p.t.Start(verb, l)
			rc, err := fetcher.Fetch(gctx, l)
			if err != nil {
				return target.Explain(err, ref)
			}
			defer rc.Close()
			if err := fw.Write(gctx, fl, countBody(rc, l.Size, bar.Add)); err != nil {
				return fmt.Errorf("%s: %w", ref, target.Explain(err, ref))
			}
			stats.Sent.Add(1)
			stats.SentBytes.Add(l.Size)
			bar.Done("Downloaded ")
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if plan.After != nil {
		if err := plan.After(ctx, opts.output, layers); err != nil {
			return err
		}
	}
	p.println(stats.Summary("Downloaded"))
	p.close()
	if opts.format.structured() {
		m, err := newPullModel(repoPath(ref), mdesc, opts.output, opts.extras.listed(layers))
		if err != nil {
			return err
		}
		return opts.format.write(stdio.Out, m)
	}
	fmt.Fprintln(stdio.Out, "Pulled", ref.Display())
	fmt.Fprintln(stdio.Out, "Digest:", mdesc.Digest)
	return nil
}

// newPullModel is pull's model: the root's reference and each file's absolute path under out
// (an unpacked folder with a trailing separator) and layer.
func newPullModel(path string, root ocispec.Descriptor, out string, layers []ocispec.Descriptor) (pullModel, error) {
	m := pullModel{Reference: path + "@" + root.Digest.String(), Files: []pulledFile{}}
	for _, l := range layers {
		abs, err := pulledPath(out, l.Annotations[ocispec.AnnotationTitle])
		if err != nil {
			return pullModel{}, err
		}
		if files.IsUnpack(l) {
			abs += string(filepath.Separator)
		}
		m.Files = append(m.Files, pulledFile{abs, newDescriptorModel(path, l)})
	}
	return m, nil
}
