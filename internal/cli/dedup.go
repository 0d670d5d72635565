package cli

// One blob, one upload: a manifest may list the same bytes twice under different media types
// (push --stac-in both: the STAC item is the config and a layer). oras-go's graph copy tracks
// nodes by media type and digest, so it would copy such a blob twice, concurrently — two
// uploads of the same bytes and two sets of status lines. push, attach and cp therefore send
// each repeated blob on its own first, and print one set of status lines per digest.

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/eopack/eopack/transfer"
)

// repeatedBlobs returns one descriptor for each digest that blobs lists more than once,
// preferring a titled one so its status line names the file.
func repeatedBlobs(blobs []ocispec.Descriptor) []ocispec.Descriptor {
	first := map[digest.Digest]int{}
	var out []ocispec.Descriptor
	at := map[digest.Digest]int{} // index in out
	for i, b := range blobs {
		j, seen := first[b.Digest]
		if !seen {
			first[b.Digest] = i
			continue
		}
		k, listed := at[b.Digest]
		if !listed {
			k = len(out)
			at[b.Digest] = k
			out = append(out, blobs[j])
		}
		if _, titled := out[k].Annotations[ocispec.AnnotationTitle]; !titled {
			out[k] = b
		}
	}
	return out
}

// sendRepeatedFirst copies each blob that blobs lists more than once from src to dst on its
// own, before the graph copy that then finds it present. o's events and stats see it as
// part of the same transfer, except that a blob already at dst is left for the graph copy
// to report (or not: it skips the whole artifact when dst has its manifest).
func sendRepeatedFirst(ctx context.Context, src oras.ReadOnlyTarget, dst oras.Target, blobs []ocispec.Descriptor, o transfer.Options) error {
	o.Events.Skipped = nil
	for _, b := range repeatedBlobs(blobs) {
		if err := transfer.CopyRoot(ctx, src, b, dst, "", o); err != nil {
			return err
		}
	}
	return nil
}

// manifestBlobs returns the config and layers of root when it is an image manifest (fetched
// from src), and nothing for any other root.
func manifestBlobs(ctx context.Context, src content.Fetcher, root ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	if root.MediaType != ocispec.MediaTypeImageManifest {
		return nil, nil
	}
	b, err := content.FetchAll(ctx, src, root)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return append([]ocispec.Descriptor{m.Config}, m.Layers...), nil
}

// transferEvents prints ORAS's status lines for a transfer with the given verbs (e.g.
// "Uploading", "Uploaded ", "Exists   ", "Mounted  "), once per digest: the first event that
// finishes a digest (sent, present or mounted) is its last line, and it starts at most once.
func (p *printer) transferEvents(start, done, skipped, mounted string) transfer.Events {
	var mu sync.Mutex
	state := map[digest.Digest]int{} // 0 nothing printed, 1 started, 2 finished
	show := func(verb string, finish bool) func(ocispec.Descriptor) {
		return func(d ocispec.Descriptor) {
			mu.Lock()
			defer mu.Unlock()
			if s := state[d.Digest]; s == 2 || (s == 1 && !finish) {
				return
			}
			state[d.Digest] = 1
			if finish {
				state[d.Digest] = 2
			}
			p.status(verb, d)
		}
	}
	return transfer.Events{
		Start:   show(start, false),
		Done:    show(done, true),
		Skipped: show(skipped, true),
		Mounted: show(mounted, true),
	}
}
