package target

import (
	"context"
	"fmt"

	"oras.land/oras-go/v2"

	"github.com/eopack/eopack/layout"
)

// openLayout opens (creating if needed) the OCI image layout at dir with the project's
// layout store (atomic writes, verified blobs, locked index.json).
func openLayout(_ context.Context, dir string) (oras.GraphTarget, error) {
	s, err := layout.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening OCI layout %s: %w", dir, err)
	}
	return s, nil
}
