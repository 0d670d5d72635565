// Package remote holds registry client pieces oras-go lacks: the parallel ranged download
// of large blobs (here) and the single-request upload of small ones (upload.go). A blob of at least MinSize bytes is fetched as several
// HTTP Range requests at once (distribution-spec v1.1.1 lets a blob GET carry Range:
// https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pulling-blobs),
// written straight into the destination file at its offsets.
//
// The pieces go through the same authenticated client as the oras-go repository (its
// Client: token and basic auth, retry), follow redirects to blob storage (Go's client sends
// Range again), and fall back to one stream as soon as the registry shows it does not
// honour Range.
package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// Defaults of a Ranged fetcher.
const (
	// DefaultMinSize is the smallest blob fetched in ranges: below it one stream is as fast
	// and costs one request.
	DefaultMinSize = 64 << 20
	// DefaultChunkSize is the size of one Range request: large enough that the request
	// overhead vanishes even across the internet, small enough that several are in flight
	// for a band of a few hundred MiB and the in-order hash never lags far behind.
	DefaultChunkSize = 16 << 20
	// MinSizeEnv overrides MinSize: a size in bytes (suffixes KiB, MiB, GiB allowed) or
	// "off" to fetch every blob as one stream.
	MinSizeEnv = "EOPACK_RANGED_MIN_SIZE"
)

// ErrBadRange is wrapped when a registry that honoured Range once answers a later range
// request with something else than the bytes asked for.
var ErrBadRange = errors.New("registry answered a range request wrongly")

// Ranged is a content.Fetcher over an oras-go repository. Fetch of a blob of at least
// MinSize bytes returns a body that files.Writer writes as parallel ranges (the
// files.RangesWriterTo capability); read as a plain io.Reader it is one ordinary stream.
type Ranged struct {
	Repo      *orasremote.Repository
	MinSize   int64 // 0: DefaultMinSize; < 0: never ranged
	ChunkSize int64 // 0: DefaultChunkSize

	// sem bounds the range requests in flight across every blob of this fetcher, so that
	// --concurrency stays the number of parallel downloads whether one blob or many is pulled.
	sem chan struct{}
}

// NewFetcher returns the fetcher a pull should use for src: a Ranged fetcher with
// concurrency parallel requests when src is a remote repository and concurrency > 1,
// src itself otherwise. MinSize is DefaultMinSize unless MinSizeEnv says otherwise.
func NewFetcher(src content.Fetcher, concurrency int) content.Fetcher {
	repo, ok := src.(*orasremote.Repository)
	if !ok || concurrency < 2 {
		return src
	}
	min, err := ParseSize(os.Getenv(MinSizeEnv))
	if err != nil {
		min = 0 // a bad setting never breaks a pull
	}
	return NewRanged(repo, concurrency, min)
}

// NewRanged returns a Ranged fetcher on repo with at most concurrency range requests in
// flight (at least 1).
func NewRanged(repo *orasremote.Repository, concurrency int, minSize int64) *Ranged {
	return &Ranged{Repo: repo, MinSize: minSize, sem: make(chan struct{}, max(concurrency, 1))}
}

// ParseSize reads a MinSizeEnv value: "" (0, the default), "off" (-1), bytes, or a number
// with a KiB, MiB or GiB suffix.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "off", "no", "false":
		return -1, nil
	}
	n, err := ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a size such as 64MiB, or off", MinSizeEnv, s)
	}
	if n == 0 {
		return 1, nil // "0" means every blob: 1 byte is the smallest size
	}
	return n, nil
}

// ParseBytes reads a size in bytes: a number, or one with a KiB, MiB or GiB suffix.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = v, u.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q: want a size such as 64MiB (bytes, or KiB, MiB, GiB)", s)
	}
	return n * mult, nil
}

func (r *Ranged) minSize() int64 {
	if r.MinSize == 0 {
		return DefaultMinSize
	}
	return r.MinSize
}

func (r *Ranged) chunkSize() int64 {
	if r.ChunkSize <= 0 {
		return DefaultChunkSize
	}
	return r.ChunkSize
}

// chunkFor is the range size for a blob of size bytes: ChunkSize if set, else about
// DefaultChunkSize, evened out so the ranges are a multiple of the parallel requests and
// the last round does not run one range alone (256 MiB on 5: 20 × 12.8 MiB, not 16 × 16).
func (r *Ranged) chunkFor(size int64) int64 {
	if r.ChunkSize > 0 {
		return r.ChunkSize
	}
	par := int64(cap(r.sem))
	n := (size + DefaultChunkSize - 1) / DefaultChunkSize
	n = (n + par - 1) / par * par
	return max((size+n-1)/n, 1<<20)
}

// Fetch implements content.Fetcher. Small blobs (and every blob when MinSize < 0) are the
// repository's own Fetch; a large one is a lazy body that sends no request until it is
// read or asked to write its ranges.
func (r *Ranged) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if r.MinSize < 0 || desc.Size < r.minSize() || desc.Size <= r.chunkSize() || cap(r.sem) < 2 {
		return r.Repo.Fetch(ctx, desc)
	}
	return &body{r: r, ctx: ctx, desc: desc}, nil
}

// blobURL is the blob's GET URL: <scheme>://<host>/v2/<repository>/blobs/<digest>.
func (r *Ranged) blobURL(desc ocispec.Descriptor) string {
	scheme := "https"
	if r.Repo.PlainHTTP {
		scheme = "http"
	}
	ref := r.Repo.Reference
	return fmt.Sprintf("%s://%s/v2/%s/blobs/%s", scheme, ref.Host(), ref.Repository, desc.Digest)
}

func (r *Ranged) client() orasremote.Client {
	if r.Repo.Client == nil {
		return auth.DefaultClient
	}
	return r.Repo.Client
}

// get sends GET with Range: bytes=start-end (inclusive) through the repository's client.
func (r *Ranged) get(ctx context.Context, desc ocispec.Descriptor, start, end int64) (*http.Response, error) {
	ref := r.Repo.Reference
	ref.Reference = desc.Digest.String()
	ctx = auth.AppendRepositoryScope(ctx, ref, auth.ActionPull)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.blobURL(desc), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, end))
	// no transparent gzip: byte offsets must be those of the blob
	req.Header.Set("Accept-Encoding", "identity")
	return r.client().Do(req)
}

// checkPartial reports whether resp is the 206 answer to bytes=start-end of a blob of size
// bytes, with a Content-Range that says exactly that.
func checkPartial(resp *http.Response, start, end, size int64) error {
	if resp.StatusCode != http.StatusPartialContent {
		return fmt.Errorf("status %d, not 206", resp.StatusCode)
	}
	cr := resp.Header.Get("Content-Range")
	unit, rest, _ := strings.Cut(cr, " ")
	rng, total, _ := strings.Cut(rest, "/")
	s, e, _ := strings.Cut(rng, "-")
	gs, err1 := strconv.ParseInt(s, 10, 64)
	ge, err2 := strconv.ParseInt(e, 10, 64)
	if unit != "bytes" || err1 != nil || err2 != nil || gs != start || ge != end ||
		(total != "*" && total != strconv.FormatInt(size, 10)) {
		return fmt.Errorf("Content-Range %q for bytes=%d-%d of %d", cr, start, end, size)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != end-start+1 {
		return fmt.Errorf("Content-Length %d for bytes=%d-%d", resp.ContentLength, start, end)
	}
	return nil
}
