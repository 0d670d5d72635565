package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/files"
)

func TestPackAllKeepsOrder(t *testing.T) {
	t.Setenv("EOPACK_DIGEST_CACHE", "off")
	dir := t.TempDir()
	var jobs []packJob
	for i := range 50 {
		p := filepath.Join(dir, fmt.Sprintf("f%02d", i))
		os.WriteFile(p, []byte(strings.Repeat("x", i)), 0o644)
		jobs = append(jobs, packJob{path: p, title: filepath.Base(p)})
	}
	for _, conc := range []int{0, 1, 3} {
		out, err := packAll(context.Background(), jobs, files.PackOptions{}, conc)
		if err != nil || len(out) != len(jobs) {
			t.Fatalf("concurrency %d: %d blobs, %v", conc, len(out), err)
		}
		for i, b := range out {
			if b.Desc.Digest != digest.FromString(strings.Repeat("x", i)) || b.Desc.Annotations["org.opencontainers.image.title"] != jobs[i].title {
				t.Fatalf("concurrency %d: blob %d is %s %v", conc, i, b.Desc.Digest, b.Desc.Annotations)
			}
		}
	}
}

// The first failing job in the order given is the one reported, whatever finished first.
func TestPackAllFirstError(t *testing.T) {
	dir := t.TempDir()
	jobs := []packJob{{path: filepath.Join(dir, "ok"), title: "ok"}, {path: filepath.Join(dir, "missing1"), title: "m1"}, {path: filepath.Join(dir, "missing2"), title: "m2"}}
	os.WriteFile(jobs[0].path, []byte("ok"), 0o644)
	out, err := packAll(context.Background(), jobs, files.PackOptions{}, 1)
	if err == nil || !strings.Contains(err.Error(), "missing1") {
		t.Fatalf("error %v, want missing1's", err)
	}
	if len(out) != 3 || out[0] == nil || out[1] != nil || out[2] != nil {
		t.Fatalf("blobs %v: want the first packed, the others not", out)
	}
}
