package registry

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/metadata"
)

// BenchmarkReferrers10k lists a subject's 10,000 referrers (each with an artifactType and an
// annotation, as bench/scale.sh pushes them): the metadata query alone, and the whole GET.
func BenchmarkReferrers10k(b *testing.B) {
	st, err := Open(b.Context(), b.TempDir(), io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchReferrers(b, st)
}

// benchReferrers fills st with a subject and 10,000 referrers and times listing them.
func benchReferrers(b *testing.B, st *Storage) {
	ctx := b.Context()
	subject := digest.FromString("subject")
	subj := metadata.PutManifest{Repo: "r", Manifest: metadata.Manifest{Digest: subject, MediaType: ocispec.MediaTypeImageManifest, Size: 7, Body: []byte("subject")}}
	if err := st.Meta.PutManifest(ctx, subj); err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
			ArtifactType: fmt.Sprintf("application/vnd.test.%d", i%10), Config: ocispec.DescriptorEmptyJSON,
			Subject:     &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: subject, Size: 7},
			Annotations: map[string]string{"org.example.index": fmt.Sprint(i)}}
		body, _ := json.Marshal(m)
		d := digest.FromBytes(body)
		err := st.Meta.PutManifest(ctx, metadata.PutManifest{Repo: "r", Manifest: metadata.Manifest{Digest: d,
			MediaType: m.MediaType, ArtifactType: m.ArtifactType, Size: int64(len(body)), Subject: subject,
			Annotations: m.Annotations, Body: body}})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("query", func(b *testing.B) {
		for b.Loop() {
			if refs, err := st.Meta.Referrers(ctx, "r", subject, ""); err != nil || len(refs) != 10000 {
				b.Fatal(len(refs), err)
			}
		}
	})
	h := New(st, Options{})
	b.Run("GET", func(b *testing.B) {
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v2/r/referrers/"+subject.String(), nil))
			if w.Code != http.StatusOK {
				b.Fatal(w.Code)
			}
		}
	})
}
