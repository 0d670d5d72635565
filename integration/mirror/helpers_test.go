// Package mirror tests `eopack mirror` between the real peers: `eopack serve` as the source,
// the CNCF distribution registry (which keeps referrers in the tag schema) and OCI image
// layouts as destinations.
package mirror

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/testpeer"
)

const emptyConfig = "{}"

// spec describes one tagged artifact pushed by pushArtifact.
type spec struct {
	repo, tag    string
	artifactType string
	created      string // org.opencontainers.image.created, if set
	annotations  map[string]string
	layer        int // bytes of its one layer
	referrer     int // bytes of the layer of its one referrer (0: no referrer)
}

// pushed is what pushArtifact stored.
type pushed struct {
	manifest, referrer digest.Digest
	blobBytes          int64 // layer and referrer layer (the shared empty config apart)
}

// pushBlob uploads data to repo in one request (POST ?digest=).
func pushBlob(t *testing.T, host, repo string, data []byte) ocispec.Descriptor {
	t.Helper()
	d := digest.FromBytes(data)
	status, body := do(t, "POST", "http://"+host+"/v2/"+repo+"/blobs/uploads/?digest="+d.String(), "application/octet-stream", data)
	if status != http.StatusCreated {
		t.Fatalf("blob upload to %s: %d %s", repo, status, body)
	}
	return ocispec.Descriptor{MediaType: "application/octet-stream", Digest: d, Size: int64(len(data))}
}

// pushManifest PUTs m to repo under ref and returns its descriptor.
func pushManifest(t *testing.T, host, repo, ref string, m ocispec.Manifest) ocispec.Descriptor {
	t.Helper()
	m.SchemaVersion = 2
	m.MediaType = ocispec.MediaTypeImageManifest
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d := digest.FromBytes(b)
	if ref == "" {
		ref = d.String()
	}
	status, body := do(t, "PUT", "http://"+host+"/v2/"+repo+"/manifests/"+ref, ocispec.MediaTypeImageManifest, b)
	if status != http.StatusCreated {
		t.Fatalf("manifest PUT %s:%s: %d %s", repo, ref, status, body)
	}
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: d, Size: int64(len(b))}
}

// pushArtifact stores s on host: an empty config, one random layer, and, when s.referrer is
// set, a referrer (artifact type application/vnd.eopack.lineage) with its own layer.
func pushArtifact(t *testing.T, host string, s spec) pushed {
	t.Helper()
	cfg := pushBlob(t, host, s.repo, []byte(emptyConfig))
	cfg.MediaType = ocispec.MediaTypeEmptyJSON
	layer := pushBlob(t, host, s.repo, random(t, s.layer))
	ann := map[string]string{}
	for k, v := range s.annotations {
		ann[k] = v
	}
	if s.created != "" {
		ann[ocispec.AnnotationCreated] = s.created
	}
	root := pushManifest(t, host, s.repo, s.tag, ocispec.Manifest{
		ArtifactType: s.artifactType, Config: cfg, Layers: []ocispec.Descriptor{layer}, Annotations: ann,
	})
	p := pushed{manifest: root.Digest, blobBytes: layer.Size}
	if s.referrer > 0 {
		rl := pushBlob(t, host, s.repo, random(t, s.referrer))
		ref := pushManifest(t, host, s.repo, "", ocispec.Manifest{
			ArtifactType: "application/vnd.eopack.lineage", Config: cfg, Layers: []ocispec.Descriptor{rl}, Subject: &root,
		})
		p.referrer, p.blobBytes = ref.Digest, p.blobBytes+rl.Size
	}
	return p
}

func do(t *testing.T, method, url, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", ocispec.MediaTypeImageManifest+", "+ocispec.MediaTypeImageIndex)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if method == "HEAD" {
		b = []byte(resp.Header.Get("Docker-Content-Digest"))
	}
	return resp.StatusCode, b
}

func random(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// resolve is the digest host serves for repo:tag ("" when it has none).
func resolve(t *testing.T, host, repo, tag string) string {
	t.Helper()
	status, d := do(t, "HEAD", "http://"+host+"/v2/"+repo+"/manifests/"+tag, "", nil)
	if status != http.StatusOK {
		return ""
	}
	return string(d)
}

// tagSchemaReferrers lists the referrers of d on distribution through the referrers tag
// schema (the tag <alg>-<hex> holding an index of them).
func tagSchemaReferrers(t *testing.T, host, repo string, d digest.Digest) []string {
	t.Helper()
	status, body := do(t, "GET", "http://"+host+"/v2/"+repo+"/manifests/"+d.Algorithm().String()+"-"+d.Encoded(), "", nil)
	if status != http.StatusOK {
		return nil
	}
	var idx ocispec.Index
	if err := json.Unmarshal(body, &idx); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range idx.Manifests {
		out = append(out, m.Digest.String())
	}
	return out
}

// catalog lists host's repositories.
func catalog(t *testing.T, host string) []string {
	t.Helper()
	_, body := do(t, "GET", "http://"+host+"/v2/_catalog?n=10000", "", nil)
	var c struct{ Repositories []string }
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatalf("catalog: %v: %s", err, body)
	}
	return c.Repositories
}

// layoutTags lists the tags (ref names) of the layout at dir, sorted.
func layoutTags(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range idx.Manifests {
		if n := m.Annotations[ocispec.AnnotationRefName]; n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// result is one finished eopack run.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// eopack runs the eopack binary with args in dir.
func eopack(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := testpeer.Command(ctx, dir, t.TempDir(), testpeer.Eopack(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustMirror runs eopack mirror and fails the test unless it succeeds.
func mustMirror(t *testing.T, dir string, args ...string) result {
	t.Helper()
	r := eopack(t, dir, append([]string{"mirror"}, args...)...)
	if r.code != 0 {
		t.Fatalf("eopack mirror %s: exit %d\n%s\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// summaryLine is the last stdout line, which must be the mirror's summary.
func summaryLine(t *testing.T, r result) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "Mirrored ") && !strings.HasPrefix(last, "Dry run: ") {
		t.Fatalf("last line is no summary: %q", last)
	}
	return last
}

var summaryRE = regexp.MustCompile(`^Mirrored (\d+) tags in (\d+) repositories: copied (\d+) blobs \((\d+) bytes\), skipped (\d+) existing \((\d+) bytes\)$`)

// summary reads the numbers of a summary line: tags, repositories, copied blobs and bytes,
// skipped blobs and bytes.
func summary(t *testing.T, line string) [6]int64 {
	t.Helper()
	m := summaryRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("summary %q does not have the expected form", line)
	}
	var out [6]int64
	for i := range out {
		out[i], _ = strconv.ParseInt(m[i+1], 10, 64)
	}
	return out
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func repoName(i int) string { return fmt.Sprintf("eo/p%02d", i) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
