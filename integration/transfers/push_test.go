// Package transfers tests uploads over unreliable links with the real eopack binary: a
// connection cut every few hundred MiB, a proxy that refuses large bodies, and a push killed
// halfway and run again.
package transfers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

const (
	MiB = 1 << 20
	GiB = 1 << 30
)

// bigFile makes a file of size bytes that takes little disk: sparse, with a 4 KiB block of
// random bytes in every MiB at an offset that varies, so bytes sent to a wrong offset change
// the digest. It returns the path and the file's sha256 digest.
func bigFile(t *testing.T, size int64, seed uint64) (string, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), fmt.Sprintf("band-%d.tif", seed))
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 12))
	block := make([]byte, 4096)
	for off := int64(0); off+MiB <= size; off += MiB {
		for i := range block {
			block[i] = byte(r.Uint32())
		}
		if _, err := f.WriteAt(block, off+int64(r.IntN(MiB-len(block)))); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p, testpeer.FileDigest(t, p)
}

// stored checks that the registry at addr holds repo's blob d with size bytes (a registry
// stores a blob only under the digest its bytes hash to).
func stored(t *testing.T, addr, repo, d string, size int64) {
	t.Helper()
	resp, err := http.Head("http://" + addr + "/v2/" + repo + "/blobs/" + d)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != size {
		t.Fatalf("HEAD %s: %d with %d bytes, want 200 with %d", d, resp.StatusCode, resp.ContentLength, size)
	}
}

func TestPushThroughConnectionCutEvery300MiB(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	eopack := testpeer.Eopack(t)
	const size = 2 * GiB
	file, d := bigFile(t, size, 1)
	for name, reg := range map[string]*testpeer.Server{
		"eopack serve": testpeer.StartServe(t, ""),
		"distribution": testpeer.StartDistribution(t),
	} {
		t.Run(name, func(t *testing.T) {
			proxy := testpeer.StartNetProxy(t, reg.Addr, testpeer.NetProxyOptions{CutUpEvery: 300 * MiB})
			out := testpeer.Run(t, filepath.Dir(file), eopack, "push", proxy.Addr+"/eo/cut:v1", filepath.Base(file))
			stored(t, reg.Addr, "eo/cut", d, size)
			if proxy.Cuts() < 6 {
				t.Fatalf("the proxy cut %d times, want at least 6 over %d bytes\n%s", proxy.Cuts(), size, out)
			}
			if up := proxy.Up(); float64(up) > 1.2*size {
				t.Fatalf("%d bytes sent for a %d-byte blob, over 1.2×", up, size)
			}
			t.Logf("%s: %d cuts, %.3f× the blob sent", name, proxy.Cuts(), float64(proxy.Up())/size)
		})
	}
}

func TestPushThroughProxyRefusingBodiesOver100MiB(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	eopack := testpeer.Eopack(t)
	const size = 1 * GiB
	file, d := bigFile(t, size, 2)
	reg := testpeer.StartServe(t, "")
	proxy := testpeer.StartBodyLimitProxy(t, reg.Addr, 100*MiB)
	// a chunk size above the limit: the whole body and the first chunks are refused, then
	// chunks shrink until they pass
	testpeer.Run(t, filepath.Dir(file), eopack, "push", "--chunk-size", "2GiB", proxy.Addr+"/eo/capped:v1", filepath.Base(file))
	stored(t, reg.Addr, "eo/capped", d, size)
	if proxy.Refused() < 2 {
		t.Fatalf("the proxy refused %d requests; the push should have met 413 first", proxy.Refused())
	}
	// the default chunk size (64 MiB) passes at once
	file2, d2 := bigFile(t, size, 3)
	testpeer.Run(t, filepath.Dir(file2), eopack, "push", proxy.Addr+"/eo/capped:v2", filepath.Base(file2))
	stored(t, reg.Addr, "eo/capped", d2, size)
}

func TestPushKilledHalfwayResumes(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	eopack := testpeer.Eopack(t)
	const size = 4 * GiB
	file, d := bigFile(t, size, 4)
	reg := testpeer.StartServe(t, "")
	proxy := testpeer.StartNetProxy(t, reg.Addr, testpeer.NetProxyOptions{})
	args := []string{"push", proxy.Addr + "/eo/killed:v1", filepath.Base(file)}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := testpeer.Command(ctx, filepath.Dir(file), t.TempDir(), eopack, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for proxy.Up() < size/2 {
		select {
		case err := <-exited:
			t.Fatalf("push ended before half the blob was sent: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	first := proxy.Up()
	state, _ := os.ReadDir(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "eopack", "uploads"))
	if len(state) == 0 {
		t.Fatal("the killed push left no upload state to continue from")
	}

	out := testpeer.Run(t, filepath.Dir(file), eopack, args...)
	second := proxy.Up() - first
	stored(t, reg.Addr, "eo/killed", d, size)
	if float64(second) > 0.55*size {
		t.Fatalf("the second run sent %d bytes (%.0f%% of the blob), want ≤ 55%%\n%s", second, 100*float64(second)/size, out)
	}
	t.Logf("killed at %s bytes sent; the second run sent %.1f%% of the blob", strconv.FormatInt(first, 10), 100*float64(second)/size)
	if state, _ := os.ReadDir(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "eopack", "uploads")); len(state) != 0 {
		t.Fatalf("%d upload records left after the push completed", len(state))
	}
}

// rchar runs eopack with args in dir from a shell and returns the bytes it read through
// read system calls (a reaped child's I/O counts in its parent's /proc/PID/io).
func rchar(t *testing.T, dir, eopack string, args ...string) int64 {
	t.Helper()
	script := `"$0" "$@" >/dev/null || exit 1; grep '^rchar:' /proc/$$/io`
	out := testpeer.Run(t, dir, "sh", append([]string{"-c", script, eopack}, args...)...)
	var n int64
	if _, err := fmt.Sscanf(out, "rchar: %d", &n); err != nil {
		t.Fatalf("reading rchar from %q: %v", out, err)
	}
	return n
}

func TestColdPushReadsTheFileOnce(t *testing.T) {
	eopack := testpeer.Eopack(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	const size = 512 * MiB
	file, d := bigFile(t, size, 5)
	reg := testpeer.StartServe(t, "")

	cold := rchar(t, filepath.Dir(file), eopack, "push", reg.Addr+"/eo/cold:v1", filepath.Base(file))
	stored(t, reg.Addr, "eo/cold", d, size)
	if cold < size || cold > size+size/10 {
		t.Fatalf("a cold push read %d bytes of a %d-byte file, want it read once", cold, size)
	}
	// the measure does see a second read: a cold push into a layout hashes, then copies
	other, _ := bigFile(t, size, 6)
	layout := rchar(t, filepath.Dir(other), eopack, "push", "--oci-layout", filepath.Join(t.TempDir(), "l")+":v1", filepath.Base(other))
	if layout < 2*size {
		t.Fatalf("a push into a layout read %d bytes, want ≥ twice the file (%d)", layout, 2*size)
	}
	// warm: the digest cache knows the file and the registry has it: nothing is read
	if warm := rchar(t, filepath.Dir(file), eopack, "push", reg.Addr+"/eo/cold:v2", filepath.Base(file)); warm > size/10 {
		t.Fatalf("a second push of an unchanged file read %d bytes", warm)
	}
}

// A file uploaded while hashed shows and counts as uploaded, not as found at the registry.
func TestColdPushReportsTheUpload(t *testing.T) {
	eopack := testpeer.Eopack(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	file, d := bigFile(t, 3*MiB, 7)
	reg := testpeer.StartServe(t, "")
	out := testpeer.Run(t, filepath.Dir(file), eopack, "push", "--chunk-size", "1MiB", reg.Addr+"/eo/cold:v1", filepath.Base(file))
	stored(t, reg.Addr, "eo/cold", d, 3*MiB)
	for _, want := range []string{"Uploaded  " + d[7:19], "Pushed 2 blobs (3145730 bytes), skipped 0 existing"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Exists    "+d[7:19]) {
		t.Errorf("the uploaded file is shown as existing:\n%s", out)
	}
}

// cp between registries: a chunk cut on its way to the destination is read again from the
// source with Range.
func TestCopyThroughConnectionCuts(t *testing.T) {
	eopack := testpeer.Eopack(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	const size = 640 * MiB
	file, d := bigFile(t, size, 8)
	src, dst := testpeer.StartServe(t, ""), testpeer.StartServe(t, "")
	testpeer.Run(t, filepath.Dir(file), eopack, "push", src.Addr+"/eo/src:v1", filepath.Base(file))
	proxy := testpeer.StartNetProxy(t, dst.Addr, testpeer.NetProxyOptions{CutUpEvery: 200 * MiB})
	out := testpeer.Run(t, t.TempDir(), eopack, "cp", src.Addr+"/eo/src:v1", proxy.Addr+"/eo/dst:v1")
	stored(t, dst.Addr, "eo/dst", d, size)
	if proxy.Cuts() < 3 {
		t.Fatalf("the proxy cut %d times, want at least 3\n%s", proxy.Cuts(), out)
	}
	t.Logf("%d cuts, %.3f× the blob sent", proxy.Cuts(), float64(proxy.Up())/size)
}
