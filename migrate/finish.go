package migrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/fsutil"
)

// journal is what ROOT/_v1-finish.json records before the old tree is removed or moved, so
// a rerun after a crash finishes the job instead of importing a half-removed tree.
type journal struct {
	Leftover string   `json:"leftover,omitempty"` // folder the old tree moves to; "": remove it
	Repos    []string `json:"repos"`
}

// layoutEntries are what a v1 repository folder holds of its own; the folders of
// repositories beneath it are left to those. oci-layout goes last: until then the folder is
// still a repository.
var layoutEntries = []string{"blobs", ".ingest", ".lock", ocispec.ImageIndexFile, ocispec.ImageLayoutFile}

// finish removes the old tree, or moves it under a leftover folder if anything was not
// imported. The plan is written to the journal first.
func (im *importer) finish(repos []string) error {
	j := journal{Repos: repos}
	if len(im.rep.Corrupt) > 0 || len(im.rep.Skipped) > 0 {
		j.Leftover = LeftoverDir
		for i := 2; exists(filepath.Join(im.root, j.Leftover)); i++ {
			j.Leftover = LeftoverDir + "-" + strconv.Itoa(i) // an earlier import's leftovers stay
		}
	}
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	path := filepath.Join(im.root, journalFile)
	if err := fsutil.WriteData(path, data, 0o644); err != nil {
		return err
	}
	return im.runJournal(j)
}

// resumeFinish completes a removal or move that a crash interrupted; done reports whether
// there was one.
func (im *importer) resumeFinish() (done bool, err error) {
	var j journal
	err = readJSON(filepath.Join(im.root, journalFile), &j)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", journalFile, err)
	}
	im.rep.Resumed = true
	im.logf("finishing an interrupted import: the old tree is %s", map[bool]string{true: "moved", false: "removed"}[j.Leftover != ""])
	return true, im.runJournal(j)
}

// runJournal does what j says; every step is skipped if already done, so it can be rerun.
func (im *importer) runJournal(j journal) error {
	repos := slices.Clone(j.Repos)
	slices.Sort(repos)
	slices.Reverse(repos) // repositories beneath another first, so emptied parents go too
	dirs := make([]string, 0, len(repos)+2)
	for _, name := range repos {
		dirs = append(dirs, filepath.FromSlash(name))
	}
	for _, dir := range dirs {
		for _, e := range layoutEntries {
			if err := im.clear(j.Leftover, filepath.Join(dir, e)); err != nil {
				return err
			}
		}
		removeEmptyDirs(im.root, filepath.Join(im.root, dir))
	}
	for _, dir := range []string{uploadsDir, poolDir} { // _pool last: until then IsV1 holds
		if err := im.clear(j.Leftover, dir); err != nil {
			return err
		}
	}
	if err := os.Remove(filepath.Join(im.root, journalFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if j.Leftover != "" {
		im.rep.Leftover = filepath.Join(im.root, j.Leftover)
		im.logf("the old tree is kept in %s", im.rep.Leftover)
	}
	return fsutil.SyncDir(im.root)
}

// clear removes ROOT/rel, or moves it to ROOT/leftover/rel; a missing rel is done already.
func (im *importer) clear(leftover, rel string) error {
	src := filepath.Join(im.root, rel)
	if _, err := os.Lstat(src); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if leftover == "" {
		return os.RemoveAll(src)
	}
	dst := filepath.Join(im.root, leftover, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.Rename(src, dst)
}

// removeEmptyDirs removes dir and then its parents, up to but not including root, while
// they are empty.
func removeEmptyDirs(root, dir string) {
	for dir != root && len(dir) > len(root) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
