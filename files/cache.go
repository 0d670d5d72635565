package files

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/internal/fsutil"
)

// A digest cache, as git's index and restic do: a file's sha256 is remembered against its
// identity (device, inode, size, mtime and ctime, all to the nanosecond), so pushing an
// unchanged file again does not read it twice. Any change to the file changes its ctime,
// which the user cannot set, so a stale entry is never used. Even a wrong entry could not
// store bad content: registries and layouts verify every uploaded blob against its digest.
//
// The cache lives in $XDG_CACHE_HOME/eopack/digest-cache, one file per folder of inputs
// (named by the hash of the folder's absolute path), holding one line per file of that
// folder: a push of a thousand files reads one cache file and writes it once (FlushDigests),
// and an entry whose file changed is replaced rather than kept beside the new one.
// A folder's cache file that was not written for cacheMaxAge, or whose folder is gone, is
// removed by a sweep that runs at most once a day. EOPACK_DIGEST_CACHE=off turns the cache off.
// Earlier versions kept one file per entry in $XDG_CACHE_HOME/eopack/digests, never removed:
// each flush removes some of them until none is left.

const (
	cacheHeader   = "eopack digest cache 1"
	cacheDirName  = "digest-cache"
	cacheMaxAge   = 30 * 24 * time.Hour
	sweepEvery    = 24 * time.Hour
	sweepStamp    = ".swept"
	oldCacheName  = "digests" // one file per entry: removed a little at each flush
	oldCacheTime  = 50 * time.Millisecond
	oldCacheBatch = 256
)

// digestCache is this process's view of the cache files it has read, by cache file path.
var digestCache = struct {
	sync.Mutex
	folders map[string]*folderCache
}{folders: map[string]*folderCache{}}

// folderCache is the entries of one folder of inputs: file name → identity and digest.
type folderCache struct {
	dir     string // the folder, absolute
	entries map[string]cacheLine
	dirty   map[string]bool // names remembered by this process, not yet written
}

type cacheLine struct {
	id string // device, inode, size, mtime, ctime
	d  digest.Digest
}

func cacheRoot() string {
	if strings.EqualFold(os.Getenv("EOPACK_DIGEST_CACHE"), "off") {
		return ""
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "eopack")
}

// identity is the cache key material of a file as fi describes it (device, inode, size,
// mtime, ctime), the fields separated by sep, or "" when it cannot be had.
func identity(fi os.FileInfo, sep string) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d"+sep+"%d"+sep+"%d"+sep+"%d.%d"+sep+"%d.%d", st.Dev, st.Ino, fi.Size(),
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
}

// lineID is the identity of a file as the cache's lines hold it.
func lineID(fi os.FileInfo) string { return identity(fi, ":") }

// FileIdentity is the identity of the file at p that the digest cache keys on (path, device,
// inode, size, times), or "" when it cannot be had.
func FileIdentity(p string) string {
	fi, err := os.Stat(p)
	if err != nil {
		return ""
	}
	id := identity(fi, "\x00")
	abs, err := filepath.Abs(p)
	if id == "" || err != nil {
		return ""
	}
	return abs + "\x00" + id
}

// HashFileCached is HashFile with the digest cache.
func HashFileCached(p string) (digest.Digest, int64, error) {
	fc, name, fi := lookup(p)
	if fc == nil {
		return HashFile(p)
	}
	if d, ok := fc.get(name, lineID(fi)); ok {
		return d, fi.Size(), nil
	}
	return HashAndRemember(p, fi)
}

// HashAndRemember is HashFile, whose digest it remembers (RememberDigest) when the file
// was fi before it was read and has all of fi's bytes.
func HashAndRemember(p string, fi os.FileInfo) (digest.Digest, int64, error) {
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
	fc, name, fi := lookup(p)
	if fc == nil {
		return "", 0, false
	}
	d, ok := fc.get(name, lineID(fi))
	return d, fi.Size(), ok
}

// RememberDigest records d as the digest of the file at p, which was fi before it was read:
// only if the file has not changed since. FlushDigests writes it to the cache.
func RememberDigest(p string, fi os.FileInfo, d digest.Digest) {
	fc, name, now := lookup(p)
	id := lineID(fi)
	if fc == nil || lineID(now) != id {
		return
	}
	digestCache.Lock()
	defer digestCache.Unlock()
	fc.entries[name] = cacheLine{id: id, d: d}
	fc.dirty[name] = true
}

// lookup stats p and returns its folder's cache (read on first use), its name in it, and
// its FileInfo; a nil cache when there is no cache or p cannot be stat'ed.
func lookup(p string) (*folderCache, string, os.FileInfo) {
	root := cacheRoot()
	if root == "" {
		return nil, "", nil
	}
	fi, err := os.Stat(p)
	if err != nil || lineID(fi) == "" {
		return nil, "", nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, "", nil
	}
	dir, name := filepath.Split(abs)
	dir = filepath.Clean(dir)
	file := cacheFile(root, dir)
	digestCache.Lock()
	defer digestCache.Unlock()
	fc := digestCache.folders[file]
	if fc == nil {
		fc = &folderCache{dir: dir, entries: readCacheFile(file, dir), dirty: map[string]bool{}}
		digestCache.folders[file] = fc
	}
	return fc, name, fi
}

func (fc *folderCache) get(name, id string) (digest.Digest, bool) {
	digestCache.Lock()
	defer digestCache.Unlock()
	e, ok := fc.entries[name]
	return e.d, ok && id != "" && e.id == id
}

// cacheFile is where the entries of folder dir are kept.
func cacheFile(root, dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(root, cacheDirName, hex.EncodeToString(sum[:16]))
}

// header is a cache file's first line, naming its folder dir.
func header(dir string) string { return cacheHeader + " " + strconv.Quote(dir) }

// parseHeader is the folder a cache file's first line names.
func parseHeader(line string) (string, bool) {
	q, ok := strings.CutPrefix(line, cacheHeader+" ")
	if !ok {
		return "", false
	}
	dir, err := strconv.Unquote(q)
	return dir, err == nil
}

// readCacheFile reads the entries of folder dir from file; none when it is missing, of
// another folder or unreadable. Lines it cannot parse are skipped.
func readCacheFile(file, dir string) map[string]cacheLine {
	entries := map[string]cacheLine{}
	f, err := os.Open(file)
	if err != nil {
		return entries
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	if !sc.Scan() {
		return entries
	}
	if named, ok := parseHeader(sc.Text()); !ok || named != dir {
		return entries
	}
	for sc.Scan() {
		// <digest> <identity> <quoted name>
		fields := strings.SplitN(sc.Text(), " ", 3)
		if len(fields) != 3 {
			continue
		}
		d, err := digest.Parse(fields[0])
		name, qerr := strconv.Unquote(fields[2])
		if err != nil || qerr != nil {
			continue
		}
		entries[name] = cacheLine{id: fields[1], d: d}
	}
	return entries
}

// FlushDigests writes the digests remembered since the last flush to the cache: each
// folder's cache file is read again, so that entries another process wrote meanwhile are
// kept, then replaced as a whole. It also runs the daily sweep. Errors are ignored: the
// cache only saves reading.
func FlushDigests() {
	root := cacheRoot()
	if root == "" {
		return
	}
	digestCache.Lock()
	defer digestCache.Unlock()
	for file, fc := range digestCache.folders {
		if len(fc.dirty) == 0 {
			continue
		}
		merged := readCacheFile(file, fc.dir)
		for name := range fc.dirty {
			merged[name] = fc.entries[name]
		}
		if writeCacheFile(file, fc.dir, merged) == nil {
			fc.entries = merged
		}
		fc.dirty = map[string]bool{}
	}
	removeOldCache(filepath.Join(root, oldCacheName), oldCacheTime)
	sweepCache(root, time.Now())
}

// removeOldCache removes the files of the cache of earlier versions (one file per entry,
// hundreds of thousands after a while), for at most budget per call so that no push waits
// long for it (but at least oldCacheBatch files), and the folder itself once empty.
func removeOldCache(dir string, budget time.Duration) {
	f, err := os.Open(dir)
	if err != nil {
		return
	}
	defer f.Close()
	start := time.Now()
	for {
		names, err := f.Readdirnames(oldCacheBatch)
		for _, n := range names {
			os.Remove(filepath.Join(dir, n))
		}
		if err != nil { // io.EOF: nothing left
			os.Remove(dir)
			return
		}
		if time.Since(start) >= budget {
			return
		}
	}
}

func writeCacheFile(file, dir string, entries map[string]cacheLine) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	// not durable: a cache lost in a crash costs one hashing of the files again
	return fsutil.WriteFile(file, 0o600, false, func(out io.Writer) error {
		w := bufio.NewWriter(out)
		fmt.Fprintln(w, header(dir))
		for name, e := range entries {
			fmt.Fprintf(w, "%s %s %s\n", e.d, e.id, strconv.Quote(name))
		}
		return w.Flush()
	})
}

// sweepCache removes, at most once a day, the cache files of folders that are gone or that
// were not written for cacheMaxAge, and leftover temp files.
func sweepCache(root string, now time.Time) {
	dir := filepath.Join(root, cacheDirName)
	stamp := filepath.Join(dir, sweepStamp)
	if fi, err := os.Stat(stamp); err == nil && now.Sub(fi.ModTime()) < sweepEvery {
		return
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Name() == sweepStamp {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := e.Info()
		if err != nil {
			continue
		}
		if now.Sub(fi.ModTime()) > cacheMaxAge || (fsutil.IsTemp(e.Name()) && now.Sub(fi.ModTime()) > time.Hour) || folderGone(p) {
			os.Remove(p)
		}
	}
	if f, err := os.Create(stamp); err == nil {
		f.Close()
	}
}

// folderGone reports whether the folder whose entries cache file p holds no longer exists.
func folderGone(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	dir, ok := parseHeader(strings.TrimSuffix(line, "\n"))
	if !ok {
		return false
	}
	_, err = os.Stat(dir)
	return os.IsNotExist(err)
}
