package verbs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/internal/testpeer"
)

// tarLayout archives the layout folder dir of e as name with `tar cf` (entries ./oci-layout,
// ./index.json, ./blobs/…, as ORAS's docs make it).
func tarLayout(t *testing.T, e *cmdEnv, dir, name string) string {
	t.Helper()
	out, err := exec.Command("tar", "cf", filepath.Join(e.dir, name), "-C", filepath.Join(e.dir, dir), ".").CombinedOutput()
	if err != nil {
		t.Fatalf("tar cf %s: %v\n%s", name, err, out)
	}
	return name
}

// lastLines is the last n lines of s (the result lines after the status lines).
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// A layout ORAS wrote, archived with tar: every verb that reads prints what ORAS prints for
// it, pull writes the same files, cp copies the same bytes, and writes fail as ORAS's do.
func TestTarLayoutMatchesOras(t *testing.T) {
	eopack, oras := peers(t)
	e := newEnv(t)
	big := randomBytes(t, 3<<20)
	e.write(t, "B04.tif", big)
	e.write(t, "item.json", []byte(`{"type":"Feature"}`))
	e.write(t, "qa.json", []byte(`{"ok":true}`))
	e.must(t, oras, "push", "--oci-layout", "lay:v1", "B04.tif:image/tiff", "item.json:application/geo+json", "-a", created)
	e.must(t, oras, "tag", "--oci-layout", "lay:v1", "v2")
	e.must(t, oras, "attach", "--oci-layout", "--artifact-type", "application/vnd.qa", "lay:v1", "qa.json", "-a", created)
	tarLayout(t, e, "lay", "lay.tar")
	L := []string{"--oci-layout"}

	raw := sameOutput(t, e, eopack, oras, nil, with(L, "manifest", "fetch", "lay.tar:v1")...)
	sameOutput(t, e, eopack, oras, nil, with(L, "manifest", "fetch", "--descriptor", "lay.tar:v2")...)
	sameOutput(t, e, eopack, oras, nil, with(L, "manifest", "fetch", "--format", "json", "lay.tar:v1")...)
	sameOutput(t, e, eopack, oras, nil, with(L, "manifest", "fetch-config", "lay.tar:v1")...)
	dg := digest.FromString(raw)
	sameOutput(t, e, eopack, oras, nil, with(L, "manifest", "fetch", "lay.tar@"+dg.String())...)
	sameOutput(t, e, eopack, oras, nil, with(L, "resolve", "lay.tar:v2")...)
	sameOutput(t, e, eopack, oras, nil, with(L, "repo", "tags", "lay.tar")...)
	sameOutput(t, e, eopack, oras, nil, with(L, "discover", "--format", "json", "lay.tar:v1")...)
	sameOutput(t, e, eopack, oras, nil, with(L, "blob", "fetch", "--output", "-", "lay.tar@"+digest.FromBytes(big).String())...)
	sameOutput(t, e, eopack, oras, nil, with(L, "blob", "fetch", "--descriptor", "lay.tar@"+digest.FromBytes(big).String())...)

	// pull: same JSON, same files (same output folder, one after the other)
	want := e.must(t, oras, with(L, "pull", "lay.tar:v1", "-o", "out", "--format", "json")...)
	wantB04 := mustRead(t, e, "out/B04.tif")
	os.RemoveAll(filepath.Join(e.dir, "out"))
	if got := e.must(t, eopack, with(L, "pull", "lay.tar:v1", "-o", "out", "--format", "json")...); got != want {
		t.Errorf("pull --format json:\n%s\noras:\n%s", got, want)
	}
	if got := mustRead(t, e, "out/B04.tif"); string(got) != string(wantB04) || string(got) != string(big) {
		t.Errorf("pulled B04.tif: %d bytes, want %d", len(got), len(big))
	}
	if got, want := e.must(t, eopack, with(L, "pull", "lay.tar:v1", "-o", "out2")...), "Pulled [oci-layout] lay.tar:v1\nDigest: "+dg.String(); lastLines(got, 2) != want {
		t.Errorf("pull prints %q, want %q", lastLines(got, 2), want)
	}

	// cp from the archive: the same manifest in both copies, and the same last two lines
	for _, dst := range []string{"cp-oras", "cp-eopack"} {
		bin := oras
		if dst == "cp-eopack" {
			bin = eopack
		}
		out := e.must(t, bin, "cp", "-r", "--from-oci-layout", "lay.tar:v1", "--to-oci-layout", dst+":v1")
		if want := "Copied [oci-layout] lay.tar:v1 => [oci-layout] " + dst + ":v1\nDigest: " + dg.String(); lastLines(out, 2) != want {
			t.Errorf("%s cp prints %q, want %q", filepath.Base(bin), lastLines(out, 2), want)
		}
	}
	sameOutput(t, e, eopack, oras, nil, with(L, "discover", "--format", "json", "cp-eopack:v1")...)
	if a, b := e.must(t, oras, "manifest", "fetch", "--oci-layout", "cp-eopack:v1"), e.must(t, oras, "manifest", "fetch", "--oci-layout", "cp-oras:v1"); a != b || a != raw {
		t.Errorf("cp from the archive: eopack copied %q, oras %q", a, b)
	}

	// writes: refused as ORAS refuses them, the archive unchanged
	sum := digest.FromBytes(mustRead(t, e, "lay.tar"))
	abs := filepath.Join(e.dir, "lay.tar")
	for _, args := range [][]string{
		{"push", "--oci-layout", "lay.tar:v3", "qa.json"},
		{"tag", "--oci-layout", "lay.tar:v1", "v3"},
		{"cp", "--from-oci-layout", "lay:v1", "--to-oci-layout", "lay.tar:v3"},
		{"attach", "--oci-layout", "--artifact-type", "application/vnd.x", "lay.tar:v1", "qa.json"},
	} {
		e.fails(t, "", oras, args, "mkdir "+abs+": not a directory")
		e.fails(t, "", eopack, args, "mkdir "+abs+": not a directory", "read-only")
	}
	if digest.FromBytes(mustRead(t, e, "lay.tar")) != sum {
		t.Error("a refused write changed the archive")
	}
	e.write(t, "notes.txt", []byte("not a tar"))
	e.fails(t, "", eopack, with(L, "pull", "notes.txt:v1"), "does not look like a tar archive")
	e.fails(t, "", oras, with(L, "pull", "notes.txt:v1"), "does not look like a tar archive")
}

// A layout eopack wrote (cp --to-oci-layout, in ORAS's dir:tag form and in the seed's
// dir:repo/name:tag form), archived with tar: ORAS and eopack both read it.
func TestTarLayoutFromEopack(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/products"
	orasSeed(t, e, oras, repo+":v1")
	e.must(t, eopack, "cp", repo+":v1", "--to-oci-layout", "elay:v1")
	e.must(t, eopack, "cp", repo+":v1", "--to-oci-layout", "elay:eo/products:v1")
	tarLayout(t, e, "elay", "elay.tar")

	raw := e.must(t, oras, "manifest", "fetch", "--plain-http", repo+":v1")
	sameOutput(t, e, eopack, oras, nil, "manifest", "fetch", "--oci-layout", "elay.tar:v1")
	if got := e.must(t, eopack, "manifest", "fetch", "--oci-layout", "elay.tar:eo/products:v1"); got != raw {
		t.Errorf("seed's form in the archive: %q, want %q", got, raw)
	}
	if got := e.must(t, oras, "manifest", "fetch", "--oci-layout-path", "elay.tar", "eo/products:v1"); got != raw {
		t.Errorf("oras --oci-layout-path on the archive: %q", got)
	}
	sameOutput(t, e, eopack, oras, nil, "repo", "tags", "--oci-layout", "elay.tar")

	want := e.must(t, oras, "pull", "--oci-layout", "elay.tar:v1", "-o", "out", "--format", "json")
	os.RemoveAll(filepath.Join(e.dir, "out"))
	if got := e.must(t, eopack, "pull", "--oci-layout", "elay.tar:v1", "-o", "out", "--format", "json"); got != want {
		t.Errorf("pull --format json:\n%s\noras:\n%s", got, want)
	}
	e.must(t, eopack, "pull", "--oci-layout", "elay.tar:eo/products:v1", "-o", "out-seed")
	if string(mustRead(t, e, "out-seed/data/B04.tif")) != string(mustRead(t, e, "data/B04.tif")) {
		t.Error("pull of the seed's form from the archive: B04.tif differs")
	}
	e.must(t, eopack, "cp", "--from-oci-layout", "elay.tar:eo/products:v1", repo+":back")
	if got := e.must(t, oras, "manifest", "fetch", "--plain-http", repo+":back"); got != raw {
		t.Errorf("cp from the archive to the registry: %q", got)
	}
}
