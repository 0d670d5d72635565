//go:build !unix

package sqlite

import "os"

// lockFile creates path but cannot lock it on this platform: nothing stops a second
// process from opening the database.
func lockFile(path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return f.Close, nil
}
