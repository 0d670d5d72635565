//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package files

import "os"

// tryLock always fails where no advisory lock is available: downloads then go to a
// temporary file of their own and are not resumed.
func tryLock(*os.File) bool { return false }
