package files

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/fsutil"
)

// Sentinels for pulled content that cannot be written.
var (
	ErrDigestMismatch = errors.New("digest mismatch")
	ErrExists         = errors.New("file already exists")
)

// Writer writes pulled blobs as files under one output folder.
//
// Every write goes to a temporary file beside the final name, its digest and size are
// checked while it is written, and only then is it renamed into place: a failed or
// interrupted pull never leaves a partial file under a final name. All paths are resolved
// through an os.Root, so nothing is created outside the folder, not even through a symlink
// that already exists inside it.
type Writer struct {
	Dir     string
	KeepOld bool // refuse to replace an existing file (--keep-old-files)
	root    *os.Root

	mu      sync.Mutex
	folders map[string]*os.Root // folders under root made by this Writer, each opened once
	retired []*os.Root          // folders replaced since, closed with the Writer
}

// NewWriter creates dir if needed and opens it as the root of all writes.
func NewWriter(dir string, keepOld bool) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Writer{Dir: dir, KeepOld: keepOld, root: r}, nil
}

// Close releases the output folder.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.folders {
		r.Close()
	}
	for _, r := range w.retired {
		r.Close()
	}
	w.folders, w.retired = nil, nil
	return w.root.Close()
}

// folder returns the root that holds name and name's base name in it. A folder under the
// output folder is made (with create) and opened once per Writer, so that a pull of many
// files into one folder does not resolve the folder again for every step of every file;
// without create, one not opened yet is reached through the output folder.
func (w *Writer) folder(name string, create bool) (*os.Root, string, error) {
	dir := filepath.Dir(name)
	if dir == "." {
		return w.root, name, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if r, ok := w.folders[dir]; ok {
		return r, filepath.Base(name), nil
	}
	if !create {
		return w.root, name, nil
	}
	if err := w.root.MkdirAll(dir, 0o755); err != nil {
		return nil, "", cleanRootErr(err)
	}
	r, err := w.root.OpenRoot(dir)
	if err != nil {
		return nil, "", cleanRootErr(err)
	}
	if w.folders == nil {
		w.folders = map[string]*os.Root{}
	}
	w.folders[dir] = r
	return r, filepath.Base(name), nil
}

// forget drops the opened folders at name and under it, which is about to be replaced, so
// that later files go to the new folder. Writes still using them finish in the old one.
func (w *Writer) forget(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for dir, r := range w.folders {
		if dir == name || strings.HasPrefix(dir, name+string(filepath.Separator)) {
			w.retired = append(w.retired, r)
			delete(w.folders, dir)
		}
	}
}

// IsUnpack reports whether desc is a packed folder to unpack (ORAS's annotation).
func IsUnpack(desc ocispec.Descriptor) bool { return desc.Annotations[AnnotationUnpack] == "true" }

// Present reports whether the file for desc already exists with desc's digest and size, so
// the download can be skipped. Folders are never reported present.
func (w *Writer) Present(desc ocispec.Descriptor) (bool, error) {
	name, err := CheckTitle(desc.Annotations[ocispec.AnnotationTitle])
	if err != nil || IsUnpack(desc) {
		return false, err
	}
	root, base, _ := w.folder(name, false)
	f, err := root.Open(base)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != desc.Size {
		return false, nil
	}
	v := desc.Digest.Verifier()
	if _, err := io.Copy(v, f); err != nil || !v.Verified() {
		return false, nil
	}
	discardPartial(root, base)
	return true, nil
}

// Write stores r (the bytes of desc) under desc's title: a file, or, for a packed folder,
// the unpacked folder.
func (w *Writer) Write(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	title := desc.Annotations[ocispec.AnnotationTitle]
	name, err := CheckTitle(title)
	if err != nil {
		return err
	}
	root, base, err := w.folder(name, true)
	if err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	tmp, release, err := w.receive(ctx, desc, root, base, r)
	if err != nil {
		return err
	}
	if IsUnpack(desc) {
		defer release(false)
		w.forget(name)
		err = w.unpack(ctx, desc, name, filepath.Join(filepath.Dir(name), tmp))
	} else if err = w.replace(root, base, tmp, name); err != nil {
		release(false)
	} else {
		release(true)
	}
	if err == nil {
		discardPartial(root, base) // one left by an earlier run that downloaded otherwise
	}
	return err
}

// receive writes r into a file beside name (in root), verifying size and digest, and
// returns that file's name in root and a release to call once it was renamed into place
// (true) or is to be removed (false). A body that can write ranges goes to the partial file
// of name (see partial.go), so a run after an interrupted one fetches only the missing
// ranges; any other body goes to a fresh temporary file, removed on failure.
func (w *Writer) receive(ctx context.Context, desc ocispec.Descriptor, root *os.Root, name string, r io.Reader) (string, func(bool), error) {
	title := desc.Annotations[ocispec.AnnotationTitle]
	if rw, ok := r.(RangesWriterTo); ok {
		p, err := openPartial(root, name, desc)
		if err == nil {
			if err := w.receivePartial(ctx, desc, p, rw); err != nil {
				return "", nil, fmt.Errorf("%s: %w", title, err)
			}
			tmp, release, err := p.take(name)
			if err != nil {
				return "", nil, fmt.Errorf("%s: %w", title, err)
			}
			return tmp, release, nil
		}
		// in use by another pull, or not possible here: a temporary file of its own
	}
	tmp := tempName(name)
	// read-write: a ranged download hashes the file back as its pieces land
	f, err := root.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", title, cleanRootErr(err))
	}
	ranged := false
	if rw, ok := r.(RangesWriterTo); ok {
		ranged, err = receiveRanges(ctx, f, rw, desc, nil, nil)
	}
	if !ranged && err == nil {
		err = Verify(ctx, f, r, desc)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		root.Remove(tmp)
		return "", nil, fmt.Errorf("%s: %w", title, err)
	}
	return tmp, func(ok bool) {
		if !ok {
			root.Remove(tmp)
		}
	}, nil
}

// receivePartial fetches into the partial download p what it lacks and verifies the whole
// file. On failure, what was received stays for the next run, unless the file proved
// wrong: then it is removed, so the next run starts clean.
func (w *Writer) receivePartial(ctx context.Context, desc ocispec.Descriptor, p *partial, rw RangesWriterTo) error {
	resumed := p.present()
	ranged, err := receiveRanges(ctx, p.f, rw, desc, p.have, p.mark)
	if err == nil && !ranged {
		// The source serves only whole blobs: start over as one stream, not journaled.
		p.halt(false)
		resumed = 0
		if err = p.reset(desc); err == nil {
			if _, err = p.f.Seek(0, io.SeekStart); err == nil {
				err = Verify(ctx, p.f, rw, desc)
			}
		}
		if err != nil {
			p.close()
			p.remove()
			return err
		}
	}
	if errors.Is(err, ErrDigestMismatch) {
		p.close()
		p.remove()
		if resumed > 0 {
			return fmt.Errorf("%w (the download resumed %d bytes of an earlier run: its partial file was removed, run again to download it whole)", err, resumed)
		}
		return err
	}
	if err != nil {
		p.close()
		return err
	}
	return nil
}

// Verify copies exactly desc.Size bytes of r into dst and checks they hash to desc.Digest.
func Verify(ctx context.Context, dst io.Writer, r io.Reader, desc ocispec.Descriptor) error {
	if err := desc.Digest.Validate(); err != nil {
		return fmt.Errorf("%s: %w", desc.Digest, err)
	}
	v := desc.Digest.Verifier()
	n, err := teeCopy(dst, v, fsutil.ContextReader(ctx, io.LimitReader(r, desc.Size+1)))
	if err != nil {
		return err
	}
	if n != desc.Size {
		return fmt.Errorf("got %d bytes, descriptor says %d: %w", n, desc.Size, ErrDigestMismatch)
	}
	if !v.Verified() {
		return fmt.Errorf("content does not match %s: %w", desc.Digest, ErrDigestMismatch)
	}
	return nil
}

// replace renames tmp to rel, both in root, honouring KeepOld; rel is name in root.
func (w *Writer) replace(root *os.Root, rel, tmp, name string) error {
	if fi, err := root.Lstat(rel); err == nil {
		if w.KeepOld {
			return fmt.Errorf("%s: %w (--keep-old-files)", name, ErrExists)
		}
		if fi.IsDir() {
			w.forget(name)
			if err := root.RemoveAll(rel); err != nil {
				return err
			}
		}
	}
	if err := root.Rename(tmp, rel); err != nil {
		return fmt.Errorf("%s: %w", name, cleanRootErr(err))
	}
	return nil
}

// unpack extracts the verified tar+gzip in tmp into a temporary folder and renames it to
// name. Entries must be name itself or lie under name/ (ORAS prefixes entries with the
// title); symlinks must be relative and stay inside the folder.
func (w *Writer) unpack(ctx context.Context, desc ocispec.Descriptor, name, tmp string) error {
	title := desc.Annotations[ocispec.AnnotationTitle]
	f, err := w.root.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: not gzip: %w", title, err)
	}
	var tarDigest digest.Verifier
	src := io.Reader(gz)
	if want := desc.Annotations[AnnotationDigest]; want != "" {
		d, err := digest.Parse(want)
		if err != nil {
			return fmt.Errorf("%s: bad %s: %w", title, AnnotationDigest, err)
		}
		tarDigest = d.Verifier()
		src = io.TeeReader(gz, tarDigest)
	}
	tmpDir := tempName(name)
	if err := w.root.Mkdir(tmpDir, 0o755); err != nil {
		return cleanRootErr(err)
	}
	ok := false
	defer func() {
		if !ok {
			w.root.RemoveAll(tmpDir)
		}
	}()
	sub, err := w.root.OpenRoot(tmpDir)
	if err != nil {
		return err
	}
	defer sub.Close()
	prefix := filepath.ToSlash(name)
	tr := tar.NewReader(src)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: bad tar: %w", title, err)
		}
		if err := extract(sub, tr, h, prefix); err != nil {
			return fmt.Errorf("%s: %w", title, err)
		}
	}
	if _, err := io.Copy(io.Discard, src); err != nil {
		return err
	}
	if tarDigest != nil && !tarDigest.Verified() {
		return fmt.Errorf("%s: unpacked tar does not match %s: %w", title, AnnotationDigest, ErrDigestMismatch)
	}
	if err := w.replace(w.root, name, tmpDir, name); err != nil {
		return err
	}
	ok = true
	return nil
}

func extract(root *os.Root, tr *tar.Reader, h *tar.Header, prefix string) error {
	n := strings.TrimSuffix(path.Clean(strings.ReplaceAll(h.Name, "\\", "/")), "/")
	var rel string
	switch {
	case n == prefix:
		rel = "."
	case strings.HasPrefix(n, prefix+"/"):
		rel = strings.TrimPrefix(n, prefix+"/")
	default:
		return fmt.Errorf("tar entry %q is outside %q: %w", h.Name, prefix, ErrInvalidName)
	}
	if rel != "." {
		if _, err := CheckTitle(rel); err != nil {
			return fmt.Errorf("tar entry %q: %w", h.Name, err)
		}
	}
	rel = filepath.FromSlash(rel)
	mode := fs.FileMode(h.Mode).Perm()
	switch h.Typeflag {
	case tar.TypeDir:
		if rel == "." {
			return nil
		}
		return cleanRootErr(root.MkdirAll(rel, 0o755))
	case tar.TypeReg:
		if err := root.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
			return cleanRootErr(err)
		}
		f, err := root.OpenFile(rel, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode|0o200)
		if err != nil {
			return cleanRootErr(err)
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case tar.TypeSymlink:
		target := filepath.ToSlash(h.Linkname)
		resolved := path.Clean(path.Join(path.Dir(filepath.ToSlash(rel)), target))
		if path.IsAbs(target) || resolved == ".." || strings.HasPrefix(resolved, "../") {
			return fmt.Errorf("symlink %q -> %q leaves the folder: %w", h.Name, h.Linkname, ErrInvalidName)
		}
		if err := root.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
			return cleanRootErr(err)
		}
		return cleanRootErr(root.Symlink(h.Linkname, rel))
	default:
		return fmt.Errorf("tar entry %q: unsupported type %q: %w", h.Name, string(h.Typeflag), ErrInvalidName)
	}
}

func tempName(name string) string {
	var b [6]byte
	rand.Read(b[:])
	return filepath.Join(filepath.Dir(name), ".eopack-"+filepath.Base(name)+"-"+hex.EncodeToString(b[:])+".tmp")
}

// cleanRootErr says plainly when os.Root refused a path that escapes the output folder.
func cleanRootErr(err error) error {
	if err != nil && strings.Contains(err.Error(), "escapes") {
		return fmt.Errorf("path leaves the output folder (through a symlink?): %w", ErrInvalidName)
	}
	return err
}
