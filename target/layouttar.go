package target

// OCI image layouts inside tar archives (`--oci-layout layout.tar:v1`), read in place.
//
// The archive holds the layout's tree from its root, as `tar cf layout.tar -C <folder> .`
// writes it:
//
//	layout.tar
//	├── oci-layout
//	├── index.json
//	└── blobs/<alg>/<encoded>
//
// oras-go's read-only OCI store (oci.NewFromTar) reads the tar headers once, keeping the
// offset of every entry, then serves each blob by seeking to it; nothing is extracted. As
// in ORAS, an archive is a source only: pull, cp (source), manifest fetch, fetch-config,
// blob fetch, repo tags, discover and resolve read it; every write is refused with the error
// ORAS gives when it is asked to create a layout where a file is ("mkdir <path>: not a
// directory").

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content/oci"
)

// ErrReadOnlyLayout is wrapped by every attempt to write to a layout in a tar archive.
var ErrReadOnlyLayout = errors.New("an OCI layout in a tar archive is read-only")

// TarLayout is an OCI image layout in a tar archive. It reads (Fetch, Exists, Resolve,
// Predecessors, Tags) through oras-go's read-only store; Push, Tag and Delete fail with
// ErrReadOnlyLayout, so it can stand where a writable target is expected.
type TarLayout struct {
	*oci.ReadOnlyStore
	path string // as given
}

// isTarLayout reports whether path names a file (a tar archive) rather than a folder.
func isTarLayout(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// OpenTarLayout indexes the tar archive at path and opens the OCI layout it holds.
func OpenTarLayout(ctx context.Context, path string) (*TarLayout, error) {
	s, err := oci.NewFromTar(ctx, path)
	switch {
	case err == nil:
		return &TarLayout{ReadOnlyStore: s, path: path}, nil
	case errors.Is(err, fs.ErrNotExist) && !isTarLayout(path):
		return nil, fmt.Errorf("%s: %w", path, ErrNotFound)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, tar.ErrHeader):
		return nil, fmt.Errorf("%q does not look like a tar archive: %w", path, err)
	}
	return nil, fmt.Errorf("%s: %w", path, err)
}

// Path is the archive's path as given.
func (t *TarLayout) Path() string { return t.path }

// Push refuses: the archive is read-only.
func (t *TarLayout) Push(context.Context, ocispec.Descriptor, io.Reader) error {
	return t.readOnly()
}

// Tag refuses: the archive is read-only.
func (t *TarLayout) Tag(context.Context, ocispec.Descriptor, string) error { return t.readOnly() }

// Untag refuses: the archive is read-only.
func (t *TarLayout) Untag(context.Context, string) error { return t.readOnly() }

// Delete refuses: the archive is read-only.
func (t *TarLayout) Delete(context.Context, ocispec.Descriptor) error { return t.readOnly() }

// readOnly is ORAS's error for a layout opened for writing where a file is, plus the reason.
func (t *TarLayout) readOnly() error {
	abs, err := filepath.Abs(t.path)
	if err != nil {
		abs = t.path
	}
	return tarWriteError(abs)
}

func tarWriteError(path string) error {
	pe := &fs.PathError{Op: "mkdir", Path: path, Err: syscall.ENOTDIR}
	return fmt.Errorf("%w (%w; extract it into a folder to change it)", pe, ErrReadOnlyLayout)
}
