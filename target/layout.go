package target

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"oras.land/oras-go/v2"

	"github.com/eopack/eopack/layout"
)

// openLayout opens (creating if needed) the OCI image layout at dir with the project's
// layout store (atomic writes, verified blobs, locked index.json). A tar archive cannot be
// written (see layouttar.go): asking to is ORAS's error.
func openLayout(_ context.Context, dir string) (oras.GraphTarget, error) {
	if isTarLayout(dir) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			abs = dir
		}
		return nil, tarWriteError(abs)
	}
	s, err := layout.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening OCI layout %s: %w", dir, err)
	}
	return s, nil
}

// openExistingLayout opens the layout at path for reading: a folder that already holds an
// OCI layout, or a tar archive of one (read in place, read-only).
func openExistingLayout(ctx context.Context, path string) (oras.GraphTarget, error) {
	if isTarLayout(path) {
		return OpenTarLayout(ctx, path)
	}
	if _, err := os.Stat(filepath.Join(path, "oci-layout")); err != nil {
		return nil, fmt.Errorf("%s: not an OCI image layout (no oci-layout file): %w", path, ErrNotFound)
	}
	return openLayout(ctx, path)
}
