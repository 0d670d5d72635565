package migrate

import (
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Report says what an import did.
type Report struct {
	Repositories int   // repositories found (folders holding oci-layout with a readable index.json)
	Manifests    int   // manifests stored, tagged or not
	Tags         int   // tags set
	Referrers    int   // stored manifests that have a subject
	Blobs        int   // blobs brought into the blob store by this run
	BlobBytes    int64 // their bytes
	Links        int   // repository blob links made (blobs that are not manifests)
	Sessions     int   // upload sessions in _uploads, dropped (clients restart them)

	Corrupt     []Issue  // v1 files that do not match their name: not imported
	Skipped     []Issue  // manifests (or whole repositories) not imported
	DroppedTags []string // "repo:ref" of index.json ref.name values that are not valid tags

	Leftover string // where the old tree was moved ("" if it was removed or not touched)
	Resumed  bool   // this run only finished an earlier run's removal of the old tree
}

// Issue is one thing the import could not take over.
type Issue struct {
	Repo   string        // repository, if the issue belongs to one
	Digest digest.Digest // blob or manifest, if known
	Path   string        // v1 file, relative to the root, if the issue is about a file
	Reason string
}

func (i Issue) String() string {
	var where []string
	for _, s := range []string{i.Repo, string(i.Digest), i.Path} {
		if s != "" {
			where = append(where, s)
		}
	}
	return strings.Join(where, " ") + ": " + i.Reason
}

// OK reports whether everything was imported.
func (r Report) OK() bool { return len(r.Corrupt) == 0 && len(r.Skipped) == 0 }

// String is a one-paragraph summary for the server log.
func (r Report) String() string {
	if r.Resumed {
		if r.Leftover != "" {
			return "v1 import: finished an interrupted import; the old tree is in " + r.Leftover + "."
		}
		return "v1 import: finished an interrupted import; the old tree is removed."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v1 import: %d repositories, %d manifests (%d tags, %d referrers), %d blob links; "+
		"%d blobs (%d bytes) brought into the blob store; %d upload sessions dropped (clients restart them)",
		r.Repositories, r.Manifests, r.Tags, r.Referrers, r.Links, r.Blobs, r.BlobBytes, r.Sessions)
	if len(r.DroppedTags) > 0 {
		fmt.Fprintf(&b, "; %d ref.name values that are not tags dropped", len(r.DroppedTags))
	}
	if r.OK() {
		b.WriteString(". Everything was imported; the old tree is removed.")
		return b.String()
	}
	fmt.Fprintf(&b, ". NOT everything was imported: %d corrupt blobs, %d manifests or repositories skipped",
		len(r.Corrupt), len(r.Skipped))
	for _, list := range [][]Issue{r.Corrupt, r.Skipped} {
		for _, i := range list {
			b.WriteString("; " + i.String())
		}
	}
	if r.Leftover != "" {
		b.WriteString(". The old tree is kept in " + r.Leftover + ".")
	}
	return b.String()
}
