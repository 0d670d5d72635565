//go:build !linux

package layout

import "os"

// startWriteback is a no-op where sync_file_range does not exist; fsync does all the work.
func startWriteback(f *os.File, off, n int64) {}

// datasync flushes f (fsync).
func datasync(f *os.File) error { return f.Sync() }
