// Package fsutil holds the small file-system helpers the stores and commands share: durable
// directory entries, files replaced whole through a temporary file, and copies that stop
// when their context is done.
package fsutil

import (
	"context"
	"io"
	"os"
)

// SyncDir fsyncs folder dir, so that entries created, renamed or removed in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ContextReader reads r until ctx is done, then fails with ctx's error: a long copy from it
// stops at the next read.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
