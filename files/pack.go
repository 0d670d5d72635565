// Package files turns local files and folders into OCI blobs for push, and writes pulled
// blobs back as files, safely.
//
// Push: a file is hashed once while streamed (never held in memory); a folder becomes a
// tar+gzip blob in a temporary file, with ORAS's annotations io.deis.oras.content.digest
// (digest of the uncompressed tar) and io.deis.oras.content.unpack=true, so ORAS unpacks it
// too. Tar entries are prefixed with the layer title, as ORAS does. With a fixed ModTime
// (--reproducible / SOURCE_DATE_EPOCH) the same folder always yields the same blob.
//
// Pull: see Writer.
package files

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ORAS's annotations on a layer that is a packed folder.
const (
	AnnotationDigest = "io.deis.oras.content.digest"
	AnnotationUnpack = "io.deis.oras.content.unpack"
)

// Default media types, as ORAS.
const (
	MediaTypeFile = "application/vnd.oci.image.layer.v1.tar"
	MediaTypeDir  = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// ErrInvalidName is wrapped when a file name or title cannot be used.
var ErrInvalidName = errors.New("invalid file name")

// Blob is one local file (or packed folder) ready to be pushed.
type Blob struct {
	Desc ocispec.Descriptor
	Path string // file to read the blob from
	temp bool   // Path is a temporary file owned by the Blob
}

// Open opens the blob's bytes.
func (b *Blob) Open() (io.ReadCloser, error) { return os.Open(b.Path) }

// Close removes the temporary file of a packed folder.
func (b *Blob) Close() error {
	if b.temp {
		return os.Remove(b.Path)
	}
	return nil
}

// PackOptions tune Pack.
type PackOptions struct {
	// ModTime, when set, replaces every time in a folder's tar (reproducible packing).
	ModTime *time.Time
	// TempDir holds packed folders; empty = os.TempDir().
	TempDir string
	// Digest, when set, gives the digest of a regular file instead of HashFileCached (a push
	// may compute it while uploading the file, reading it once).
	Digest func(p, title, mediaType string) (digest.Digest, int64, error)
}

// Pack describes the file or folder at p as a layer named title (default: p cleaned,
// slash-separated). A folder is packed as tar+gzip into a temporary file.
func Pack(ctx context.Context, p, title, mediaType string, o PackOptions) (*Blob, error) {
	if title == "" {
		title = filepath.ToSlash(filepath.Clean(p))
	}
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file or directory", p)
		}
		return nil, err
	}
	if fi.IsDir() {
		return packDir(ctx, p, title, mediaType, o)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file or directory", p)
	}
	if mediaType == "" {
		mediaType = MediaTypeFile
	}
	hash := func(p, _, _ string) (digest.Digest, int64, error) { return HashFileCached(p) }
	if o.Digest != nil {
		hash = o.Digest
	}
	d, n, err := hash(p, title, mediaType)
	if err != nil {
		return nil, err
	}
	return &Blob{Path: p, Desc: ocispec.Descriptor{
		MediaType:   mediaType,
		Digest:      d,
		Size:        n,
		Annotations: map[string]string{ocispec.AnnotationTitle: title},
	}}, nil
}

// HashFile streams the file at p through sha256.
func HashFile(p string) (digest.Digest, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	dg := digest.Canonical.Digester()
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	n, err := io.CopyBuffer(dg.Hash(), struct{ io.Reader }{f}, *buf)
	if err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", p, err)
	}
	return dg.Digest(), n, nil
}

func packDir(ctx context.Context, dir, title, mediaType string, o PackOptions) (b *Blob, err error) {
	tmp, err := os.CreateTemp(o.TempDir, "eopack-dir-*.tar.gz")
	if err != nil {
		return nil, err
	}
	defer func() {
		tmp.Close()
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	gzDigest := digest.Canonical.Digester()
	counter := &countWriter{w: io.MultiWriter(tmp, gzDigest.Hash())}
	gz := gzip.NewWriter(counter)
	tarDigest := digest.Canonical.Digester()
	if err := writeTar(ctx, dir, title, io.MultiWriter(gz, tarDigest.Hash()), o.ModTime); err != nil {
		return nil, fmt.Errorf("packing %s: %w", dir, err)
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if mediaType == "" {
		mediaType = MediaTypeDir
	}
	return &Blob{Path: tmp.Name(), temp: true, Desc: ocispec.Descriptor{
		MediaType: mediaType,
		Digest:    gzDigest.Digest(),
		Size:      counter.n,
		Annotations: map[string]string{
			ocispec.AnnotationTitle: title,
			AnnotationDigest:        tarDigest.Digest().String(),
			AnnotationUnpack:        "true",
		},
	}}, nil
}

// writeTar writes dir as a tar stream whose entries are prefixed with prefix, in lexical
// order, owner 0:0, times replaced by modTime when set.
func writeTar(ctx context.Context, dir, prefix string, w io.Writer, modTime *time.Time) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		var link string
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		h.Name = path.Join(prefix, filepath.ToSlash(rel))
		if info.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		if modTime != nil {
			h.ModTime, h.AccessTime, h.ChangeTime = *modTime, time.Time{}, time.Time{}
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// CheckTitle validates a layer title as a relative, slash-separated path that stays inside
// the output folder, and returns it in OS form. Absolute paths, ".." components, empty
// names and NUL bytes are refused.
func CheckTitle(title string) (string, error) {
	if title == "" {
		return "", fmt.Errorf("empty title: %w", ErrInvalidName)
	}
	if strings.ContainsRune(title, 0) {
		return "", fmt.Errorf("title %q contains NUL: %w", title, ErrInvalidName)
	}
	t := strings.ReplaceAll(title, "\\", "/")
	if path.IsAbs(t) || filepath.IsAbs(title) || filepath.VolumeName(title) != "" {
		return "", fmt.Errorf("title %q is an absolute path: %w", title, ErrInvalidName)
	}
	for _, part := range strings.Split(t, "/") {
		if part == ".." {
			return "", fmt.Errorf("title %q contains '..': %w", title, ErrInvalidName)
		}
	}
	c := path.Clean(t)
	if c == "." {
		return "", fmt.Errorf("title %q names the output folder itself: %w", title, ErrInvalidName)
	}
	return filepath.FromSlash(c), nil
}
