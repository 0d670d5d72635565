package client

import (
	"bytes"
	"encoding/json"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/testpeer"
)

// The seed article's four manifest shapes, each produced by eopack push and coming back
// byte-identical after layout → registry → layout.
func TestSeedManifestShapesRoundTrip(t *testing.T) {
	reg := testpeer.StartDistribution(t)
	shapes := []struct {
		name, config string
		files        map[string][]byte
		args         []string
		annotations  string
		check        func(ocispec.Manifest) bool
	}{
		{
			name:   "docker-image",
			config: "config.json:application/vnd.oci.image.config.v1+json",
			files:  map[string][]byte{"config.json": []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`), "l1.tar.gz": []byte("layer one"), "l2.tar.gz": []byte("layer two")},
			args:   []string{"l1.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip", "l2.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip"},
			check: func(m ocispec.Manifest) bool {
				return m.Config.MediaType == ocispec.MediaTypeImageConfig && len(m.Layers) == 2 && m.ArtifactType == ""
			},
		},
		{
			name:   "helm-chart",
			config: "chart.json:application/vnd.cncf.helm.config.v1+json",
			files:  map[string][]byte{"chart.json": []byte(`{"name":"eo","version":"0.1.0"}`), "eo-0.1.0.tgz": []byte("chart"), "eo-0.1.0.tgz.prov": []byte("provenance")},
			args:   []string{"eo-0.1.0.tgz:application/vnd.cncf.helm.chart.content.v1.tar+gzip", "eo-0.1.0.tgz.prov:application/vnd.cncf.helm.chart.provenance.v1.prov"},
			check: func(m ocispec.Manifest) bool {
				return m.Config.MediaType == "application/vnd.cncf.helm.config.v1+json" && m.Layers[1].MediaType == "application/vnd.cncf.helm.chart.provenance.v1.prov"
			},
		},
		{
			name:        "ai-model",
			config:      "model.json:application/vnd.docker.model.config.v1+json",
			files:       map[string][]byte{"model.json": []byte(`{"format":"gguf"}`), "model.bin": bytes.Repeat([]byte{7}, 1<<16)},
			args:        []string{"model.bin:application/octet-stream"},
			annotations: `{"model.bin":{"framework":"PyTorch"}}`,
			check: func(m ocispec.Manifest) bool {
				return m.Layers[0].Annotations["framework"] == "PyTorch" && m.Layers[0].MediaType == "application/octet-stream"
			},
		},
		{
			name:        "eo-data",
			config:      "config.json:application/vnd.oci.artifact.config.v1+json",
			files:       map[string][]byte{"config.json": []byte(`{}`), "B04.tif": realTIFF(t), "item.json": []byte(stacItem)},
			args:        []string{"B04.tif:image/tiff", "item.json:application/geo+json"},
			annotations: `{"B04.tif":{"eo:band":"B04"},"item.json":{"type":"stac-item"},"$manifest":{"stac:id":"L7-olinda"}}`,
			check: func(m ocispec.Manifest) bool {
				return m.Layers[0].Annotations["eo:band"] == "B04" && m.Layers[1].Annotations["type"] == "stac-item" &&
					m.Annotations["stac:id"] == "L7-olinda" && m.Config.MediaType == "application/vnd.oci.artifact.config.v1+json"
			},
		},
	}
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			e := newEnv(t)
			for n, b := range s.files {
				e.write(n, b)
			}
			args := []string{"push", "--reproducible", "--oci-layout", "l1:" + s.name + ":v1", "--config", s.config, "--export-manifest", "m.json"}
			if s.annotations != "" {
				e.write("ann.json", []byte(s.annotations))
				args = append(args, "--annotation-file", "ann.json")
			}
			e.eo(append(args, s.args...)...)
			var m ocispec.Manifest
			if err := json.Unmarshal(e.read("m.json"), &m); err != nil {
				t.Fatal(err)
			}
			if !s.check(m) {
				t.Fatalf("manifest does not have the seed's shape:\n%s", e.read("m.json"))
			}
			ref := reg.Addr + "/shapes/" + s.name + ":v1"
			e.eo("cp", "--from-oci-layout", "l1:"+s.name+":v1", "--to", ref)
			e.eo("cp", ref, "--to-oci-layout", "l2:"+s.name+":v1")
			for _, got := range []string{
				e.eo("manifest", "fetch", "--oci-layout", "l2:"+s.name+":v1"),
				e.orasRun("manifest", "fetch", "--plain-http", ref),
				e.orasRun("manifest", "fetch", "--oci-layout-path", "l2", s.name+":v1"),
			} {
				if !bytes.Equal(bytes.TrimSpace([]byte(got)), e.read("m.json")) {
					t.Fatalf("manifest changed on the way:\n%s\nwant\n%s", got, e.read("m.json"))
				}
			}
			e.eo("pull", "--oci-layout", "l2:"+s.name+":v1", "-o", "out")
			for _, a := range s.args {
				name := a[:bytes.LastIndexByte([]byte(a), ':')]
				e.sameFile(name, "out/"+name)
			}
		})
	}
}
