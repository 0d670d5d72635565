package verbs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// backupSource pushes two tagged artifacts with ORAS, one of them with a referrer, and
// returns the repository.
func backupSource(t *testing.T, e *cmdEnv, oras, host string) string {
	t.Helper()
	repo := host + "/eo/backup"
	e.write(t, "band.tif", randomBytes(t, 70000))
	e.write(t, "item.json", []byte(`{"type":"Feature"}`))
	e.must(t, oras, "push", repo+":v1", "band.tif:image/tiff", "--plain-http")
	e.must(t, oras, "push", repo+":v2", "item.json:application/geo+json", "--plain-http")
	e.must(t, oras, "attach", repo+":v1", "--artifact-type", "application/vnd.eopack.lineage", "item.json", "--plain-http")
	return repo
}

// state is what a repository holds, as ORAS sees it: each tag's digest and referrers.
func state(t *testing.T, e *cmdEnv, oras, repo string, tags ...string) string {
	t.Helper()
	var b strings.Builder
	for _, tag := range tags {
		b.WriteString(tag + " " + e.must(t, oras, "resolve", repo+":"+tag, "--plain-http"))
		b.WriteString(e.must(t, oras, "discover", repo+":"+tag, "--plain-http", "--format", "json"))
	}
	return b.String()
}

// eopack backup and oras restore, oras backup and eopack restore, as folders and as tar
// archives, with referrers: every round trip leaves the same tags, digests and referrers.
func TestBackupRestoreWithORAS(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := backupSource(t, e, oras, reg.Host())
	want := state(t, e, oras, repo, "v1", "v2")
	for i, c := range []struct{ backup, restore, out string }{
		{eopack, oras, "eopack-dir"},
		{eopack, oras, "eopack.tar"},
		{oras, eopack, "oras-dir"},
		{oras, eopack, "oras.tar"},
		{eopack, eopack, "both.tar"},
	} {
		e.must(t, c.backup, "backup", "--plain-http", "--include-referrers", "--output", c.out, repo)
		dst := reg.Host() + "/eo/restored" + string(rune('a'+i))
		e.must(t, c.restore, "restore", "--plain-http", "--input", c.out, dst)
		got := state(t, e, oras, dst, "v1", "v2")
		if got != strings.ReplaceAll(want, "/eo/backup", "/eo/restored"+string(rune('a'+i))) {
			t.Errorf("%s backup → %s restore (%s):\n%s\nwant\n%s", filepath.Base(c.backup), filepath.Base(c.restore), c.out, got, want)
		}
	}
}

// Status lines match ORAS's, timing aside; --dry-run pushes nothing.
func TestBackupRestoreOutput(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := backupSource(t, e, oras, reg.Host())
	timing := regexp.MustCompile(` in [0-9.]+[mµ]?s\.?$| \([0-9.]+ [KMG]?B\)$`) // times and tar sizes differ
	norm := func(s string) string {
		var keep []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			if strings.HasPrefix(l, "Found") || strings.HasPrefix(l, "Pulled tag") || strings.HasPrefix(l, "Exported") ||
				strings.HasPrefix(l, "Successfully") || strings.HasPrefix(l, "Dry run") || strings.HasPrefix(l, "Loaded") {
				keep = append(keep, timing.ReplaceAllString(l, ""))
			}
		}
		return strings.Join(keep, "\n")
	}
	a := e.must(t, eopack, "backup", "--plain-http", "--output", "a.tar", repo+":v1,v2")
	b := e.must(t, oras, "backup", "--plain-http", "--output", "a.tar", repo+":v1,v2")
	if norm(a) != norm(b) {
		t.Errorf("backup output:\n%s\noras:\n%s", norm(a), norm(b))
	}
	dry := reg.Host() + "/eo/dry"
	a = e.must(t, eopack, "restore", "--plain-http", "--dry-run", "--input", "a.tar", dry)
	b = e.must(t, oras, "restore", "--plain-http", "--dry-run", "--input", "a.tar", dry)
	if norm(a) != norm(b) {
		t.Errorf("restore --dry-run output:\n%s\noras:\n%s", norm(a), norm(b))
	}
	e.fails(t, "", eopack, []string{"resolve", dry + ":v1", "--plain-http"}, "not found")
}

// A backup with one damaged blob is refused before anything is pushed, in one line naming
// the blob.
func TestRestoreRefusesDamagedBackup(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := backupSource(t, e, oras, reg.Host())
	e.must(t, eopack, "backup", "--plain-http", "--output", "bk", repo+":v1")
	var layer string
	filepath.WalkDir(filepath.Join(e.dir, "bk", "blobs"), func(p string, de os.DirEntry, err error) error {
		if err == nil && de.Type().IsRegular() {
			if fi, _ := de.Info(); fi.Size() == 70000 {
				layer = p
			}
		}
		return nil
	})
	if layer == "" {
		t.Fatal("the 70000-byte layer is not in the backup")
	}
	os.Chmod(layer, 0o644)
	b, _ := os.ReadFile(layer)
	b[100] ^= 0xff
	if err := os.WriteFile(layer, b, 0o644); err != nil {
		t.Fatal(err)
	}
	dst := reg.Host() + "/eo/damaged"
	e.fails(t, "", eopack, []string{"restore", "--plain-http", "--input", "bk", dst}, filepath.Base(layer), "nothing was restored")
	e.fails(t, "", eopack, []string{"resolve", dst + ":v1", "--plain-http"}, "not found")
}
