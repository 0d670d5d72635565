package fsutil

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempInfix marks the temporary files of WriteFile: "." + the final name + tempInfix + random.
const tempInfix = ".tmp-"

// WriteFile replaces the file at path with what write writes, through a temporary file in
// the same folder that is renamed to path only once write has returned nil: path holds
// either its old content or all of the new one, never a part. The file gets mode perm. With
// durable, the file is fsynced before the rename and the folder after it, so the new content
// survives a crash once WriteFile returns; without, a crash may leave the old content (never
// a part of the new). On an error the temporary file is removed and path is untouched.
func WriteFile(path string, perm fs.FileMode, durable bool, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+tempInfix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if durable {
		if err = f.Sync(); err != nil {
			return err
		}
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if durable {
		return SyncDir(dir)
	}
	return nil
}

// IsTemp reports whether name (a base name) is one of WriteFile's temporary files, which a
// crash can leave behind.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempInfix)
}

// WriteData is WriteFile, durable, of data.
func WriteData(path string, data []byte, perm fs.FileMode) error {
	return WriteFile(path, perm, true, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
