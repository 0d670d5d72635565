package cli

// --verify of pull and cp: before anything is written, the artifact's signatures are checked
// (keys, certificates or a trust policy: trustFlags) and every blob it is made of is read
// once and checked against its digest, so a tampered blob in the source fails the command
// with nothing written. The blobs are then read again to be written: --verify trades a
// second read for that guarantee.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/eopack/eopack/target"
)

type verifyFlags struct {
	verify bool
	trust  trustFlags
}

func (f *verifyFlags) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&f.verify, "verify", false, "verify signatures (--key, --certificate or --policy) and every blob before writing anything")
	f.trust.addFlags(fs)
}

// check refuses --key and the like without --verify, and --verify without them.
func (f *verifyFlags) check() error {
	if !f.verify {
		if f.trust.given() || len(f.trust.types) > 0 {
			return usagef("--key, --certificate, --policy and --type go with --verify")
		}
		return nil
	}
	return f.trust.check()
}

// before verifies the signatures of the artifact ref names in t (its root manifest, as
// tagged), printing one line per signature to out (nil: none), and then every blob in blobs
// (nil: every blob of the root's graph).
func (f *verifyFlags) before(ctx context.Context, out io.Writer, t oras.ReadOnlyGraphTarget, ref target.Ref, blobs []ocispec.Descriptor) error {
	if !f.verify {
		return nil
	}
	root, err := resolveIn(ctx, t, ref, nil)
	if err != nil {
		return err
	}
	results, verdict := f.trust.verifyArtifact(ctx, t, repoPath(ref), root)
	if out != nil {
		printResults(out, results)
	}
	if verdict != nil {
		return fmt.Errorf("%s@%s: %w (nothing written)", repoPath(ref), root.Digest, target.Explain(verdict, ref))
	}
	if blobs == nil {
		if blobs, err = graphBlobs(ctx, t, root); err != nil {
			return target.Explain(err, ref)
		}
	}
	for _, b := range blobs {
		if err := checkBlob(ctx, t, b); err != nil {
			return fmt.Errorf("%s: %w (nothing written)", repoPath(ref), target.Explain(err, ref))
		}
	}
	return nil
}

// checkBlob streams d from t through digest and size verification.
func checkBlob(ctx context.Context, t content.Fetcher, d ocispec.Descriptor) error {
	rc, err := t.Fetch(ctx, d)
	if err != nil {
		return err
	}
	defer rc.Close()
	vr := content.NewVerifyReader(rc, d)
	if _, err := io.Copy(io.Discard, vr); err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	if err := vr.Verify(); err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	return nil
}

// graphBlobs lists the config and layers of root and, for an index, of every manifest in it.
func graphBlobs(ctx context.Context, t content.Fetcher, root ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	var walk func(d ocispec.Descriptor, depth int) error
	walk = func(d ocispec.Descriptor, depth int) error {
		if depth > 8 {
			return fmt.Errorf("%s: indexes nested too deep", d.Digest)
		}
		b, err := content.FetchAll(ctx, t, d)
		if err != nil {
			return err
		}
		var m struct {
			MediaType string               `json:"mediaType"`
			Config    *ocispec.Descriptor  `json:"config"`
			Layers    []ocispec.Descriptor `json:"layers"`
			Manifests []ocispec.Descriptor `json:"manifests"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("%s: manifest is not JSON: %w", d.Digest, err)
		}
		if m.Config != nil {
			out = append(out, *m.Config)
		}
		out = append(out, m.Layers...)
		for _, c := range m.Manifests {
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(root, 0)
}

// textOut is stdout for text output, nil for --format json or go-template.
func textOut(stdio *IO, f formatFlags) io.Writer {
	if f.structured() {
		return nil
	}
	return stdio.Out
}
