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
	if d, n, ok := CachedDigest(p); ok {
		return d, n, nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return HashFile(p)
	}
	d, n, err := HashFile(p)
	if err != nil {
		return "", 0, err
	}
	if n == fi.Size() {
		RememberDigest(p, fi, d)
	}
	return d, n, nil
}

// CachedDigest is the digest the cache remembers for the file at p as it is now.
func CachedDigest(p string) (digest.Digest, int64, bool) {
	entry, id, fi := cacheEntry(p)
	if entry == "" {
		return "", 0, false
	}
	if b, err := os.ReadFile(entry); err == nil {
		if got, rest, ok := strings.Cut(string(b), "\n"); ok && rest == id {
			if d, err := digest.Parse(got); err == nil {
				return d, fi.Size(), true
			}
		}
	}
	return "", 0, false
}

// FileIdentity is the identity of the file at p that the digest cache keys on (path, device,
// inode, size, times), or "" when it cannot be had.
func FileIdentity(p string) string {
	fi, err := os.Stat(p)
	if err != nil {
		return ""
	}
	return fileIdentity(p, fi)
}

// RememberDigest records d as the digest of the file at p, which was fi before it was read:
// only if the file has not changed since.
func RememberDigest(p string, fi os.FileInfo, d digest.Digest) {
	entry, id, _ := cacheEntry(p)
	if entry == "" || id != fileIdentity(p, fi) {
		return
	}
	dir := filepath.Dir(entry)
	if os.MkdirAll(dir, 0o700) != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(d.String() + "\n" + id)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), entry) != nil {
		os.Remove(tmp.Name())
	}
}

// cacheEntry is the cache file for p as it is now, with its identity; "" without a cache.
func cacheEntry(p string) (string, string, os.FileInfo) {
	dir := cacheDir()
	if dir == "" {
		return "", "", nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", "", nil
	}
	id := fileIdentity(p, fi)
	if id == "" {
		return "", "", nil
	}
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(dir, hex.EncodeToString(sum[:])), id, fi
}
