//go:build !linux

package fsstore

import (
	"errors"
	"os"
)

var errNoUnnamed = errors.New("unnamed files are not supported on this platform")

// openUnnamed: no unnamed files here; Put names its temp files.
func openUnnamed(dir string) (*os.File, error) { return nil, errNoUnnamed }

func linkUnnamed(f *os.File, dst string) error { return errNoUnnamed }
