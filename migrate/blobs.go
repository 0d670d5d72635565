package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/internal/fsutil"
)

// importPool brings every blob of ROOT/_pool that matches its name into the blob store.
func (im *importer) importPool(ctx context.Context) error {
	pool := filepath.Join(im.root, poolDir)
	return eachBlobFile(ctx, pool, func(d digest.Digest, path string) error {
		_, err := im.ensure(ctx, d, path)
		return err
	}, func(path string) {
		im.corruptFile("", path, "not named <algorithm>/<hex digest>")
	})
}

// eachBlobFile calls fn for every file dir/<alg>/<hex> named by a valid digest and bad for
// every other file at that depth; folders starting with "." (temp files) are skipped.
func eachBlobFile(ctx context.Context, dir string, fn func(digest.Digest, string) error, bad func(string)) error {
	algs, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, a := range algs {
		if !a.IsDir() || a.Name()[0] == '.' {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, a.Name()))
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			path := filepath.Join(dir, a.Name(), f.Name())
			d := digest.NewDigestFromEncoded(digest.Algorithm(a.Name()), f.Name())
			if !f.Type().IsRegular() || d.Validate() != nil {
				bad(path)
				continue
			}
			if err := fn(d, path); err != nil {
				return err
			}
		}
	}
	return nil
}

// ensure makes sure the blob store holds blob d, bringing it in from path (a v1 file named
// d) if it does not: only if the file's bytes hash to d, by Adopt if the store has it, else
// by Put. It reports whether the store holds d; a file that does not match is recorded as
// corrupt once.
func (im *importer) ensure(ctx context.Context, d digest.Digest, path string) (bool, error) {
	if _, ok := im.known[d]; ok {
		return true, nil
	}
	if im.corrupt[d] {
		return false, nil
	}
	if info, err := im.blobs.Stat(ctx, d); err == nil {
		im.known[d] = info.Size // imported by an earlier, interrupted run
		return true, nil
	} else if !errors.Is(err, blobstore.ErrNotFound) {
		return false, err
	}
	size, err := im.bringIn(ctx, d, path)
	switch {
	case errors.Is(err, blobstore.ErrDigestMismatch) || errors.Is(err, blobstore.ErrSizeMismatch):
		im.corrupt[d] = true
		im.corruptFile(d, path, err.Error())
		return false, nil
	case err != nil:
		return false, fmt.Errorf("import blob %s from %s: %w", d, path, err)
	}
	im.known[d] = size
	im.rep.Blobs++
	im.rep.BlobBytes += size
	return true, nil
}

// bringIn stores the file at path as blob d, returning its size: by Adopt if the store has
// it, else by Put. Both check the bytes against d on the way (their contracts), so a file
// that does not hash to d wraps blobstore.ErrDigestMismatch and is not stored.
func (im *importer) bringIn(ctx context.Context, d digest.Digest, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := fi.Size()
	if a, ok := im.blobs.(Adopter); ok {
		return size, a.Adopt(ctx, path, d, size)
	}
	_, err = im.blobs.Put(ctx, d, size, fsutil.ContextReader(ctx, f))
	return size, err
}

// corruptFile records a v1 file that cannot be imported as the blob it is named after.
func (im *importer) corruptFile(d digest.Digest, path, why string) {
	rel, _ := filepath.Rel(im.root, path)
	im.rep.Corrupt = append(im.rep.Corrupt, Issue{Digest: d, Path: filepath.ToSlash(rel), Reason: why})
	im.logf("corrupt %s: %s", rel, why)
}
