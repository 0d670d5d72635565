package cli

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in      string
		want    string // os/arch[/variant][:os_version]
		wantErr string
	}{
		{in: "linux", want: "linux/" + runtime.GOARCH},
		{in: "linux/arm64", want: "linux/arm64"},
		{in: "linux/arm/v7", want: "linux/arm/v7"},
		{in: "windows/amd64:10.0.17763", want: "windows/amd64:10.0.17763"},
		{in: "windows:10.0.17763", want: "windows/" + runtime.GOARCH + ":10.0.17763"},
		{in: "linux/arm/v7/x", wantErr: "want os[/arch]"},
		{in: "/amd64", wantErr: "OS is empty"},
		{in: "linux/", wantErr: "architecture is empty"},
	}
	for _, tt := range tests {
		p, err := parsePlatform(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parsePlatform(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || formatPlatform(p) != tt.want {
			t.Errorf("parsePlatform(%q) = %s, %v; want %s", tt.in, formatPlatform(p), err, tt.want)
		}
	}
	ps, err := parsePlatforms([]string{"linux/amd64", "linux/arm64"})
	if err != nil || len(ps) != 2 {
		t.Errorf("parsePlatforms = %v, %v", ps, err)
	}
}

// An index as a hand-written file may have it: members in any order, unknown members,
// whitespace inside values, an entry without platform.
const oddIndex = `{"zzz":1, "schemaVersion": 2, "annotations": {"b":"1", "a":"2"}, "mediaType":"application/vnd.oci.image.index.v1+json",
"manifests":[ {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":1,"platform":{"architecture":"amd64","os":"linux"}, "extra": true},
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","size":2,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","size":3},
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd","size":4,"platform":{"architecture":"s390x","os":"linux"}}]}`

func TestSelectPlatforms(t *testing.T) {
	plat := func(s ...string) []*ocispec.Platform {
		ps, err := parsePlatforms(s)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	// what ORAS 1.3.6 writes for --platform linux/amd64,linux/arm64 on oddIndex
	want := `{"zzz":1,"schemaVersion":2,"annotations":{"b":"1", "a":"2"},"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":1,"platform":{"architecture":"amd64","os":"linux"}, "extra": true},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","size":2,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","size":3}]}`
	got, kept, err := selectPlatforms([]byte(oddIndex), plat("linux/amd64", "linux/arm64"))
	if err != nil || string(got) != want || len(kept) != 3 {
		t.Errorf("selectPlatforms = %s (%d kept), %v\nwant %s", got, len(kept), err, want)
	}
	if !json.Valid(got) {
		t.Error("not JSON")
	}
	// every entry kept: the index as it is
	got, _, err = selectPlatforms([]byte(oddIndex), plat("linux/s390x", "linux/arm64/v8", "linux/amd64"))
	if err != nil || string(got) != oddIndex {
		t.Errorf("all kept: %s, %v", got, err)
	}
	_, _, err = selectPlatforms([]byte(oddIndex), plat("linux/arm64/v7", "linux/amd64", "linux/ppc64le"))
	if err == nil || err.Error() != "unmatched platforms: [linux/arm64/v7, linux/ppc64le]\navailable platforms in index: [linux/amd64, linux/arm64/v8, linux/s390x]" {
		t.Errorf("unmatched: %v", err)
	}
}

func TestManifestSpec(t *testing.T) {
	set := func(v string) manifestSpec {
		var m manifestSpec
		if v != "" {
			if err := m.imageSpec.Set(v); err != nil {
				t.Fatal(err)
			}
		}
		return m
	}
	tests := []struct {
		spec, config, artifactType, platform string
		want, wantErr                        string
	}{
		{want: imageSpecV1_1},
		{config: "c.json", want: imageSpecV1_0},
		{config: "c.json", artifactType: "a/b", want: imageSpecV1_1},
		{spec: "v1.1", config: "c.json", wantErr: "missing artifact type"},
		{spec: "v1.0", config: "c.json", artifactType: "a/b", wantErr: "cannot both be provided"},
		{config: "c.json", artifactType: "a/b", platform: "linux", wantErr: "--config, --artifact-platform"},
		{platform: "linux/", wantErr: "--artifact-platform"},
	}
	for _, tt := range tests {
		m := set(tt.spec)
		m.artifactPlatform = tt.platform
		got, err := m.version(tt.config, tt.artifactType)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: error %v, want %q", tt, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%+v: %s, %v; want %s", tt, got, err, tt.want)
		}
	}
	var f imageSpecFlag
	if err := f.Set("v1.2"); err == nil || !strings.Contains(err.Error(), "v1.1, v1.0") {
		t.Errorf("--image-spec v1.2: %v", err)
	}
}

// v1.0 without a config: "{}" typed by the artifact type, "layers": [], no artifactType
// member; the descriptor's type is the config's. --artifact-platform: the platform as config.
func TestManifestShapes(t *testing.T) {
	in := &pushInputs{ArtifactType: "application/vnd.eopack.test"}
	var m manifestSpec
	if err := m.apply(in, imageSpecV1_0, nil); err != nil {
		t.Fatal(err)
	}
	b, err := buildManifest(in, true)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.eopack.test","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`
	if string(b) != want || in.ArtifactType != "application/vnd.eopack.test" {
		t.Errorf("v1.0 manifest %s (type %q)\nwant %s", b, in.ArtifactType, want)
	}

	in = &pushInputs{}
	m.artifactPlatform = "linux/arm64/v8"
	if err := m.apply(in, imageSpecV1_1, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if string(in.ConfigBytes) != `{"architecture":"arm64","os":"linux","variant":"v8"}` ||
		in.Config.MediaType != ocispec.MediaTypeImageConfig || in.Config.Annotations["k"] != "v" ||
		in.ArtifactType != mediaTypeUnknownArtifact {
		t.Errorf("--artifact-platform: config %s %+v, type %q", in.ConfigBytes, in.Config, in.ArtifactType)
	}
	in = &pushInputs{ArtifactType: "a/b"}
	if err := m.apply(in, imageSpecV1_0, nil); err == nil || !strings.Contains(err.Error(), "cannot be customized") {
		t.Errorf("v1.0 + --artifact-platform + --artifact-type: %v", err)
	}
}

func TestCheckFilePaths(t *testing.T) {
	err := checkFilePaths([]string{"a.txt", "/tmp/b.txt:text/plain", "/c.txt"}, false)
	if err == nil || !strings.HasSuffix(err.Error(), "skip this check: /tmp/b.txt, /c.txt") {
		t.Errorf("absolute paths: %v", err)
	}
	if err := checkFilePaths([]string{"/tmp/b.txt"}, true); err != nil {
		t.Errorf("--disable-path-validation: %v", err)
	}
}
