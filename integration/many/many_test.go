// Package many tests artifacts of many files: thousands of layers round-trip through the
// pinned CNCF distribution registry and `eopack serve`, and a manifest over the size
// registries accept is refused before anything is sent.
package many

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/internal/testpeer"
)

// writeFiles writes n files d/f00000… of 1 to 4096 random bytes under dir (every one
// different) and returns their paths relative to dir.
func writeFiles(t *testing.T, dir string, n int) []string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(uint64(n), 15))
	paths := make([]string, n)
	for i := range n {
		b := make([]byte, 1+r.IntN(4096))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		copy(b, fmt.Sprintf("%05d", i)) // distinct even when short
		paths[i] = fmt.Sprintf("d/f%05d", i)
		if err := os.WriteFile(filepath.Join(dir, paths[i]), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

func TestTwoThousandLayersRoundTrip(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	eopack, oras := testpeer.Eopack(t), testpeer.Bin(t, "oras")
	dir := t.TempDir()
	paths := writeFiles(t, dir, 2000)
	for name, reg := range map[string]*testpeer.Server{
		"distribution": testpeer.StartDistribution(t),
		"serve":        testpeer.StartServe(t, ""),
	} {
		t.Run(name, func(t *testing.T) {
			ref := reg.Host() + "/eo/many:v1"
			out := testpeer.Run(t, dir, eopack, append([]string{"push", ref}, paths...)...)
			if !strings.Contains(out, "Pushed 2001 blobs") { // the files and the empty config
				t.Fatalf("push did not send 2001 blobs:\n%s", tail(out))
			}
			out = testpeer.Run(t, dir, eopack, append([]string{"push", reg.Host() + "/eo/many:v2"}, paths...)...)
			if !strings.Contains(out, "Pushed 0 blobs") || !strings.Contains(out, "skipped 2001 existing") {
				t.Fatalf("re-push sent blobs again:\n%s", tail(out))
			}
			testpeer.Run(t, dir, eopack, "pull", ref, "-o", "eo-"+name)
			testpeer.Run(t, dir, oras, "pull", "--plain-http", ref, "-o", "oras-"+name)
			for _, p := range paths {
				want, err := os.ReadFile(filepath.Join(dir, p))
				if err != nil {
					t.Fatal(err)
				}
				for _, out := range []string{"eo-" + name, "oras-" + name} {
					if got, err := os.ReadFile(filepath.Join(dir, out, p)); err != nil || !bytes.Equal(got, want) {
						t.Fatalf("%s/%s: %d bytes (%v), want the %d pushed", out, p, len(got), err, len(want))
					}
				}
			}
		})
	}
}

func TestManifestOverLimitRefusedBeforeUpload(t *testing.T) {
	t.Setenv("EOPACK_DIGEST_CACHE", "off")
	eopack := testpeer.Eopack(t)
	reg := testpeer.StartDistribution(t)
	dir := t.TempDir()
	// 10,000 layers with a 400-byte annotation each: a manifest of about 6 MiB
	paths := make([]string, 10000)
	ann := map[string]map[string]string{}
	if err := os.MkdirAll(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range paths {
		paths[i] = fmt.Sprintf("d/f%05d", i)
		if err := os.WriteFile(filepath.Join(dir, paths[i]), []byte("same bytes"), 0o644); err != nil {
			t.Fatal(err)
		}
		ann[paths[i]] = map[string]string{"org.example.note": strings.Repeat("n", 400)}
	}
	b, _ := json.Marshal(ann)
	if err := os.WriteFile(filepath.Join(dir, "ann.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"push", "--annotation-file", "ann.json", reg.Host() + "/eo/huge:v1"}, paths...)
	out, err := testpeer.RunErr(dir, eopack, args...)
	if err == nil {
		t.Fatalf("push of a 6 MiB manifest succeeded:\n%s", tail(out))
	}
	line := strings.TrimSpace(out)
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "Error: ") {
		t.Fatalf("want one error line, got:\n%s", tail(out))
	}
	for _, w := range []string{"10000 layers", "4 MiB", "folder", "image index"} {
		if !strings.Contains(line, w) {
			t.Errorf("error does not say %q: %s", w, line)
		}
	}
	// nothing was sent: the registry does not hold the files' blob
	resp, err := http.Head(fmt.Sprintf("http://%s/v2/eo/huge/blobs/%s", reg.Host(), digest.FromString("same bytes")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("HEAD of the files' blob: %d, want 404 (nothing uploaded before the refusal)", resp.StatusCode)
	}
}

// tail is the end of a long output, for failure messages.
func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
