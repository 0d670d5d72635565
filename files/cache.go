package files

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/opencontainers/go-digest"
)

// A digest cache, as git's index and restic do: a file's sha256 is remembered against its
// identity (absolute path, device, inode, size, mtime and ctime, all to the nanosecond), so
// pushing an unchanged file again does not read it twice. Any change to the file changes its
// ctime, which the user cannot set, so a stale entry is never used. The cache lives in
// $XDG_CACHE_HOME/eopack/digests (one small file per entry); EOPACK_DIGEST_CACHE=off turns
// it off. Even a wrong entry could not store bad content: registries and layouts verify
// every uploaded blob against its digest.

func cacheDir() string {
	if strings.EqualFold(os.Getenv("EOPACK_DIGEST_CACHE"), "off") {
		return ""
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "eopack", "digests")
}

// fileIdentity is the cache key material of the file at p, or "" when it cannot be had.
func fileIdentity(p string, fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s\x00%d\x00%d\x00%d\x00%d.%d\x00%d.%d", abs, st.Dev, st.Ino, fi.Size(),
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
}

// HashFileCached is HashFile with the digest cache.
func HashFileCached(p string) (digest.Digest, int64, error) {
	dir := cacheDir()
	fi, err := os.Stat(p)
	if err != nil || dir == "" {
		return HashFile(p)
	}
	id := fileIdentity(p, fi)
	if id == "" {
		return HashFile(p)
	}
	sum := sha256.Sum256([]byte(id))
	entry := filepath.Join(dir, hex.EncodeToString(sum[:]))
	if b, err := os.ReadFile(entry); err == nil {
		if got, rest, ok := strings.Cut(string(b), "\n"); ok && rest == id {
			if d, err := digest.Parse(got); err == nil {
				return d, fi.Size(), nil
			}
		}
	}
	d, n, err := HashFile(p)
	if err != nil {
		return "", 0, err
	}
	// the file must not have changed while it was read
	if fi2, err := os.Stat(p); err == nil && fileIdentity(p, fi2) == id && n == fi.Size() {
		if os.MkdirAll(dir, 0o700) == nil {
			if tmp, err := os.CreateTemp(dir, ".tmp-*"); err == nil {
				_, werr := tmp.WriteString(d.String() + "\n" + id)
				if cerr := tmp.Close(); werr == nil && cerr == nil {
					os.Rename(tmp.Name(), entry)
				} else {
					os.Remove(tmp.Name())
				}
			}
		}
	}
	return d, n, nil
}
