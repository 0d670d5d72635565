package sqlite

import (
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/metadata"
)

// manifest is an image manifest PUT of repo with one config blob, tagged tag.
func manifest(repo, tag string) metadata.PutManifest {
	body := []byte(fmt.Sprintf(`{"schemaVersion":2,"tag":%q}`, tag))
	return metadata.PutManifest{
		Repo: repo,
		Manifest: metadata.Manifest{
			Digest: digest.FromBytes(body), MediaType: ocispec.MediaTypeImageManifest,
			ArtifactType: "application/vnd.test", Size: int64(len(body)), Body: body,
		},
		Blobs: []digest.Digest{digest.FromString("config")},
		Tags:  []string{tag},
	}
}
