package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// verbsRun runs eopack in-process and returns stdout, stderr and the exit code.
func verbsRun(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

// verbsMust runs eopack and fails the test unless it exits 0.
func verbsMust(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, code := verbsRun(t, stdin, args...)
	if code != 0 {
		t.Fatalf("eopack %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// verbsFail runs eopack, expects exit code want and a one-line error containing each of msgs.
func verbsFail(t *testing.T, want int, stdin string, args []string, msgs ...string) {
	t.Helper()
	out, errOut, code := verbsRun(t, stdin, args...)
	if code != want {
		t.Fatalf("eopack %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "Error: ") {
		t.Fatalf("eopack %s: want one error line, got %q", strings.Join(args, " "), errOut)
	}
	for _, m := range msgs {
		if !strings.Contains(errOut, m) {
			t.Errorf("eopack %s: error %q does not mention %q", strings.Join(args, " "), errOut, m)
		}
	}
}

// verbsManifest is an OCI image manifest whose blobs need not exist (layouts and the project's
// registry accept it only after its blobs are pushed; tests push them first).
func verbsManifest(t *testing.T, dir string, blob []byte) (path string, raw []byte) {
	t.Helper()
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"artifactType":  "application/vnd.eopack.test.v1",
		"config": map[string]any{
			"mediaType": "application/vnd.oci.empty.v1+json",
			"digest":    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
			"size":      2,
		},
		"layers": []any{map[string]any{
			"mediaType":   "image/tiff",
			"digest":      digest.FromBytes(blob).String(),
			"size":        len(blob),
			"annotations": map[string]string{"org.opencontainers.image.title": "B04.tif"},
		}},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, raw
}

// verbsSeed pushes a blob and the empty config into repo (an OCI layout with --oci-layout in
// flags, else a registry repository) and writes a manifest referring to them.
func verbsSeed(t *testing.T, flags []string, repo string, blob []byte) (manifestPath string, raw []byte) {
	t.Helper()
	dir := t.TempDir()
	blobPath := filepath.Join(dir, "B04.tif")
	if err := os.WriteFile(blobPath, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	verbsMust(t, "", append([]string{"blob", "push", repo, blobPath}, flags...)...)
	verbsMust(t, "", append([]string{"blob", "push", repo, cfg}, flags...)...)
	return verbsManifest(t, dir, blob)
}

func verbsLayoutArgs(args ...string) []string { return append(args, "--oci-layout") }

func TestManifestVerbsOnLayout(t *testing.T) {
	lay := filepath.Join(t.TempDir(), "lay")
	mpath, raw := verbsSeed(t, []string{"--oci-layout"}, lay, []byte("band four"))
	want := digest.FromBytes(raw)

	out := verbsMust(t, "", verbsLayoutArgs("manifest", "push", lay+":v1,v2", mpath)...)
	for _, line := range []string{
		"Uploading " + want.Encoded()[:12] + " application/vnd.oci.image.manifest.v1+json\n",
		"Pushed: [oci-layout] " + lay + ":v1\n", "Tagged v2\n", "Digest: " + want.String() + "\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("manifest push output lacks %q:\n%s", line, out)
		}
	}
	if out := verbsMust(t, "", verbsLayoutArgs("manifest", "push", lay+":v1", mpath)...); !strings.HasPrefix(out, "Exists ") {
		t.Errorf("second push should say Exists, got:\n%s", out)
	}

	if got := verbsMust(t, "", verbsLayoutArgs("manifest", "fetch", lay+":v1")...); got != string(raw) {
		t.Errorf("manifest fetch = %q, want the pushed bytes %q", got, raw)
	}
	var desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int    `json:"size"`
	}
	d := verbsMust(t, "", verbsLayoutArgs("manifest", "fetch", "--descriptor", lay+":v2")...)
	if err := json.Unmarshal([]byte(d), &desc); err != nil || desc.Digest != want.String() || desc.Size != len(raw) {
		t.Errorf("--descriptor = %s (err %v), want digest %s size %d", d, err, want, len(raw))
	}
	if strings.HasSuffix(d, "\n") {
		t.Errorf("compact descriptor must have no trailing newline (as ORAS): %q", d)
	}
	pretty := verbsMust(t, "", verbsLayoutArgs("manifest", "fetch", "--pretty", lay+":v1")...)
	var indented bytes.Buffer
	json.Indent(&indented, raw, "", "  ")
	if pretty != indented.String()+"\n" || !strings.HasPrefix(pretty, "{\n  \"") {
		t.Errorf("--pretty output:\n%s", pretty)
	}
	var fetched struct {
		Reference string         `json:"reference"`
		Digest    string         `json:"digest"`
		Content   map[string]any `json:"content"`
	}
	js := verbsMust(t, "", verbsLayoutArgs("manifest", "fetch", "--format", "json", lay+":v1")...)
	if err := json.Unmarshal([]byte(js), &fetched); err != nil {
		t.Fatal(err)
	}
	if fetched.Reference != lay+"@"+want.String() || fetched.Content["artifactType"] != "application/vnd.eopack.test.v1" {
		t.Errorf("--format json = %s", js)
	}
	outFile := filepath.Join(t.TempDir(), "m.json")
	if out := verbsMust(t, "", verbsLayoutArgs("manifest", "fetch", "--output", outFile, lay+":v1")...); out != "" {
		t.Errorf("--output FILE printed %q", out)
	}
	if b, _ := os.ReadFile(outFile); !bytes.Equal(b, raw) {
		t.Errorf("--output file = %q", b)
	}

	if got := verbsMust(t, "", verbsLayoutArgs("manifest", "fetch-config", lay+":v1")...); got != "{}" {
		t.Errorf("manifest fetch-config = %q", got)
	}
	cfgOut := filepath.Join(t.TempDir(), "sub", "config.json")
	verbsMust(t, "", verbsLayoutArgs("manifest", "fetch-config", "--output", cfgOut, lay+":v1")...)
	if b, _ := os.ReadFile(cfgOut); string(b) != "{}" {
		t.Errorf("manifest fetch-config --output wrote %q", b)
	}
	if got := verbsMust(t, "", verbsLayoutArgs("resolve", lay+":v2")...); got != want.String()+"\n" {
		t.Errorf("resolve = %q", got)
	}
	if got := verbsMust(t, "", verbsLayoutArgs("resolve", "-l", lay+":v2")...); got != lay+"@"+want.String()+"\n" {
		t.Errorf("resolve -l = %q", got)
	}
	out = verbsMust(t, "", verbsLayoutArgs("tag", lay+":v1", "stable", "eo/products:v1")...)
	if !strings.HasPrefix(out, "Tagging [oci-layout] "+lay+"@"+want.String()+"\n") || !strings.Contains(out, "Tagged stable\n") {
		t.Errorf("tag output:\n%s", out)
	}
	if got := verbsMust(t, "", verbsLayoutArgs("repo", "tags", lay)...); got != "eo/products:v1\nstable\nv1\nv2\n" {
		t.Errorf("repo tags = %q, want sorted tags", got)
	}
	if got := verbsMust(t, "", verbsLayoutArgs("repo", "tags", lay+":eo/products")...); got != "v1\n" {
		t.Errorf("repo tags of the seed's repo form = %q", got)
	}
	if got := verbsMust(t, "", verbsLayoutArgs("repo", "tags", "--last", "stable", lay)...); got != "v1\nv2\n" {
		t.Errorf("repo tags --last = %q", got)
	}

	if out := verbsMust(t, "", verbsLayoutArgs("manifest", "delete", lay+":v1")...); !strings.Contains(out, "Operation cancelled.") {
		t.Errorf("delete without --force and no answer must cancel, got %q", out)
	}
	verbsMust(t, "", verbsLayoutArgs("resolve", lay+":v1")...)
	if out := verbsMust(t, "", verbsLayoutArgs("manifest", "delete", "--force", lay+"@"+want.String())...); out != "Deleted [oci-layout] "+lay+"@"+want.String()+"\n" {
		t.Errorf("delete output %q", out)
	}
	verbsFail(t, 1, "", verbsLayoutArgs("resolve", lay+":v1"), "not found")
	if out := verbsMust(t, "", verbsLayoutArgs("manifest", "delete", "--force", lay+":v1")...); out != "Missing "+lay+":v1\n" {
		t.Errorf("delete --force of a missing manifest = %q", out)
	}
	verbsFail(t, 1, "", verbsLayoutArgs("manifest", "delete", lay+":v1"), lay+":v1", "not found")
}

func TestManifestPushReadsStdinAndMediaTypeFlag(t *testing.T) {
	lay := filepath.Join(t.TempDir(), "lay")
	mpath, raw := verbsSeed(t, []string{"--oci-layout"}, lay, []byte("x"))
	// No mediaType field: --media-type supplies it.
	var m map[string]any
	json.Unmarshal(raw, &m)
	delete(m, "mediaType")
	bare, _ := json.Marshal(m)
	verbsFail(t, 1, string(bare), verbsLayoutArgs("manifest", "push", lay+":v1", "-"), "mediaType", "--media-type")
	out := verbsMust(t, string(bare), verbsLayoutArgs("manifest", "push", "--descriptor", "--media-type", "application/vnd.oci.image.manifest.v1+json", lay+":v1", "-")...)
	if !strings.Contains(out, digest.FromBytes(bare).String()) || strings.Contains(out, "Uploading") {
		t.Errorf("--descriptor output %q", out)
	}
	if got := verbsMust(t, "", verbsLayoutArgs("manifest", "fetch", lay+":v1")...); got != string(bare) {
		t.Errorf("fetched %q", got)
	}
	_ = mpath
}

func TestManifestBadInput(t *testing.T) {
	lay := filepath.Join(t.TempDir(), "lay")
	mpath, _ := verbsSeed(t, []string{"--oci-layout"}, lay, []byte("x"))
	verbsFail(t, 2, "", []string{"manifest", "fetch", "Localhost:5000/eo/Products:v1"}, "invalid")
	verbsFail(t, 2, "", []string{"manifest", "fetch", "localhost:5000/eo/products"}, "no tag or digest")
	verbsFail(t, 1, "", verbsLayoutArgs("manifest", "push", lay+":v1", filepath.Join(t.TempDir(), "missing.json")), "missing.json", "no such file")
	verbsFail(t, 1, "", verbsLayoutArgs("manifest", "fetch", lay+":nope"), "nope", "not found")
	verbsFail(t, 1, "", verbsLayoutArgs("manifest", "fetch", filepath.Join(t.TempDir(), "nolayout")+":v1"), "not an OCI image layout")
	verbsFail(t, 2, "", verbsLayoutArgs("manifest", "fetch", "--output", "-", "--descriptor", lay+":v1"), "--descriptor")
	verbsFail(t, 2, "", verbsLayoutArgs("manifest", "delete", "--descriptor", lay+":v1"), "--force")
	verbsFail(t, 2, "x", verbsLayoutArgs("manifest", "push", "--password-stdin", lay+":v1", "-"), "--password-stdin")
	verbsFail(t, 2, "", verbsLayoutArgs("tag", lay+":v1"), "at least one new tag")
	verbsFail(t, 2, "", []string{"tag", "localhost:5000/eo/products:v1", "bad tag!"}, "bad tag!")
	_ = mpath
}

// In a layout tagged in the seed's form, "ref:t1,t2" extra tags keep the repository part,
// for manifest push as for push.
func TestManifestPushSeedFormExtraTags(t *testing.T) {
	lay := filepath.Join(t.TempDir(), "lay")
	mpath, raw := verbsSeed(t, []string{"--oci-layout"}, lay, []byte("band five"))
	out := verbsMust(t, "", verbsLayoutArgs("manifest", "push", lay+":eo/products:v1,v2", mpath)...)
	if !strings.Contains(out, "Tagged eo/products:v2\n") {
		t.Errorf("manifest push output lacks %q:\n%s", "Tagged eo/products:v2", out)
	}
	if got := verbsMust(t, "", verbsLayoutArgs("manifest", "fetch", lay+":eo/products:v2")...); got != string(raw) {
		t.Errorf("manifest fetch eo/products:v2 = %q, want the pushed bytes", got)
	}
}
