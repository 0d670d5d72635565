package cli

// The shape of the manifest push builds, as the pinned ORAS CLI (v1.3.6) decides it:
//
//   - --image-spec v1.1 (the default): an image-spec v1.1 artifact, artifactType set (ORAS's
//     unknown artifact type when neither --artifact-type nor --config is given), the empty
//     descriptor as config and as the only layer when there is no config or no file.
//   - --image-spec v1.0: no artifactType member; the config says the type instead: --config,
//     or "{}" with the --artifact-type (default application/vnd.unknown.config.v1+json) as
//     its media type; "layers": [] when there is no file. The descriptor's artifactType is
//     the config's media type.
//   - --config without --artifact-type and without --image-spec gives v1.0, as ORAS does
//     (OCI's artifact guidance wants an artifactType in a v1.1 manifest).
//   - --artifact-platform os[/arch][/variant][:os_version]: the config is the platform as
//     JSON, of media type application/vnd.oci.image.config.v1+json, so clients that pick by
//     platform find it; it cannot go with --config.

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"
	"oras.land/oras-go/v2/content"
)

const (
	imageSpecV1_1 = "v1.1"
	imageSpecV1_0 = "v1.0"
)

// imageSpecFlag is --image-spec: v1.1 or v1.0, refused at flag parsing otherwise.
type imageSpecFlag struct {
	value string
	set   bool
}

func (f *imageSpecFlag) String() string { return "" } // no default shown, as ORAS
func (f *imageSpecFlag) Type() string   { return "string" }

func (f *imageSpecFlag) Set(s string) error {
	if s != imageSpecV1_1 && s != imageSpecV1_0 {
		return fmt.Errorf("unknown image specification flag: %s: available options: %s, %s", s, imageSpecV1_1, imageSpecV1_0)
	}
	f.value, f.set = s, true
	return nil
}

// checkFilePaths refuses absolute file paths, all of them named, unless disabled
// (--disable-path-validation), as ORAS does: a pulled file would land at that path.
func checkFilePaths(fileRefs []string, disabled bool) error {
	if disabled {
		return nil
	}
	var abs []string
	for _, fr := range fileRefs {
		if p, _, err := splitFileRef(fr); err == nil && filepath.IsAbs(p) {
			abs = append(abs, p)
		}
	}
	if len(abs) > 0 {
		return usagef("absolute file paths are insecure and not recommended. If it's intentional, use --disable-path-validation flag to skip this check: %s", strings.Join(abs, ", "))
	}
	return nil
}

// manifestSpec holds push's --image-spec and --artifact-platform.
type manifestSpec struct {
	imageSpec        imageSpecFlag
	artifactPlatform string
}

func (m *manifestSpec) addFlags(f *pflag.FlagSet) {
	f.Var(&m.imageSpec, "image-spec", "[Preview] specify manifest type for building artifact. Options: v1.1, v1.0 (default v1.1, overridden to v1.0 if --config is used without --artifact-type)")
	f.StringVar(&m.artifactPlatform, "artifact-platform", "", "[Experimental] set artifact platform in the form of "+platformForm)
}

// version is the image-spec version push builds for the given --config and --artifact-type,
// or the usage error ORAS gives for the combination.
func (m *manifestSpec) version(config, artifactType string) (string, error) {
	v := m.imageSpec.value
	if v == "" {
		v = imageSpecV1_1
	}
	if config != "" && artifactType == "" {
		if !m.imageSpec.set {
			v = imageSpecV1_0
		} else if v == imageSpecV1_1 {
			return "", usagef("missing artifact type for OCI image-spec v1.1 artifacts: set an artifact type via `--artifact-type` or consider image spec v1.0")
		}
	}
	if config != "" && m.artifactPlatform != "" {
		return "", usagef("--config, --artifact-platform cannot be used at the same time")
	}
	if _, err := parsePlatformFlag("--artifact-platform", m.artifactPlatform); err != nil {
		return "", err
	}
	if v == imageSpecV1_0 && config != "" && artifactType != "" {
		return "", usagef("--artifact-type and --config cannot both be provided for 1.0 OCI image")
	}
	return v, nil
}

// apply shapes in (already holding the files, config and annotations) for version v.
func (m *manifestSpec) apply(in *pushInputs, v string, configAnnotations map[string]string) error {
	if m.artifactPlatform != "" {
		p, err := parsePlatformFlag("--artifact-platform", m.artifactPlatform)
		if err != nil {
			return err
		}
		if in.Config != nil {
			return usagef("--artifact-platform: the artifact already has a config (use --stac-in layer)")
		}
		if v == imageSpecV1_0 && in.ArtifactType != "" {
			return usagef("artifact type cannot be customized for OCI image-spec v1.0 when platform is specified: consider using image spec v1.1 or remove --artifact-type")
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		d := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, b)
		d.Annotations = configAnnotations
		in.Config, in.ConfigBytes = &d, b
		if v == imageSpecV1_1 && in.ArtifactType == "" {
			in.ArtifactType = mediaTypeUnknownArtifact
		}
	}
	if v != imageSpecV1_0 {
		return nil
	}
	in.ImageSpecV1_0 = true
	if in.Config == nil {
		mt := in.ArtifactType
		if mt == "" {
			mt = mediaTypeUnknownConfig
		}
		d := ocispec.Descriptor{MediaType: mt, Digest: ocispec.DescriptorEmptyJSON.Digest, Size: ocispec.DescriptorEmptyJSON.Size, Annotations: configAnnotations}
		in.Config, in.ConfigBytes = &d, ocispec.DescriptorEmptyJSON.Data
	}
	in.ArtifactType = ""
	return nil
}
