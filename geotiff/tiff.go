// Package geotiff reads the georeferencing of TIFF, BigTIFF, GeoTIFF and Cloud-Optimized
// GeoTIFF files without reading any pixel data: image size, band count and data type, the
// CRS (EPSG code from the GeoKeys), the affine pixel→CRS transform, GDAL's nodata value and
// whether the file's layout is a COG. Everything is read through an io.ReaderAt, one tag
// value at a time, so a multi-GB file costs a few kilobytes of reads.
//
// Projection to WGS84 is done in pure Go (see tmerc.go) rather than through a PROJ binding:
// a binding needs cgo and libproj on every machine that runs eopack (and breaks static,
// cross-compiled release binaries), while the footprints eopack needs are almost always
// UTM-family transverse Mercator grids on WGS84 or on GRS80-based datums (SIRGAS 2000,
// ETRS89, NAD83, GDA94/2020) whose EPSG transformation to WGS84 is a null shift (what PROJ
// does for SIRGAS 2000; metre-level for the others). The Krüger series to order n⁶ is
// accurate to well under a millimetre within the zone. Other CRSs return ErrUnsupportedCRS so callers can ask for an explicit bbox.
//
// References: TIFF 6.0; BigTIFF (https://www.awaresystems.be/imaging/tiff/bigtiff.html);
// OGC GeoTIFF 1.1 (19-008r4); GDAL's COG layout (https://gdal.org/drivers/raster/cog.html).
package geotiff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Sentinel errors, wrapped with context by the functions that return them.
var (
	// ErrNotTIFF means the file does not start with a TIFF or BigTIFF header.
	ErrNotTIFF = errors.New("not a TIFF file")
	// ErrMalformed means the TIFF structure is inconsistent or truncated.
	ErrMalformed = errors.New("malformed TIFF")
	// ErrNotGeoreferenced means the TIFF carries no GeoTIFF transform or CRS.
	ErrNotGeoreferenced = errors.New("TIFF is not georeferenced (no GeoTIFF tags)")
	// ErrUnsupportedCRS means eopack cannot transform the file's CRS to WGS84.
	ErrUnsupportedCRS = errors.New("CRS not supported for WGS84 transformation")
)

// maxTagBytes bounds the bytes read for a single tag value (tile offset arrays of very
// large files stay far below this; anything larger is treated as malformed).
const maxTagBytes = 64 << 20

// TIFF tag numbers used here.
const (
	tagNewSubfileType   = 254
	tagImageWidth       = 256
	tagImageLength      = 257
	tagBitsPerSample    = 258
	tagCompression      = 259
	tagPhotometric      = 262
	tagStripOffsets     = 273
	tagSamplesPerPixel  = 277
	tagStripByteCounts  = 279
	tagPlanarConfig     = 284
	tagTileWidth        = 322
	tagTileLength       = 323
	tagTileOffsets      = 324
	tagTileByteCounts   = 325
	tagSampleFormat     = 339
	tagModelPixelScale  = 33550
	tagModelTiepoint    = 33922
	tagModelTransform   = 34264
	tagGeoKeyDirectory  = 34735
	tagGeoDoubleParams  = 34736
	tagGeoASCIIParams   = 34737
	tagGDALNoData       = 42113
	subfileReducedImage = 1
	subfileMask         = 4
)

// entry is one IFD entry; its value is read lazily.
type entry struct {
	typ   uint16
	count uint64
	raw   []byte // inline value bytes (4 or 8 bytes)
	off   uint64 // offset of the value when not inline
}

// ifd is one image file directory.
type ifd struct {
	offset  uint64
	end     uint64 // first byte after the directory itself
	entries map[uint16]entry
}

// file is a parsed TIFF structure.
type file struct {
	r      io.ReaderAt
	size   int64
	order  binary.ByteOrder
	big    bool
	ifds   []ifd
	header []byte // first bytes of the file (GDAL ghost area)
}

var typeSizes = map[uint16]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}

// parse reads the header and every IFD of a TIFF (entries only, not tag values).
func parse(r io.ReaderAt, size int64) (*file, error) {
	head := make([]byte, 1024)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	head = head[:n]
	if n < 8 {
		return nil, ErrNotTIFF
	}
	f := &file{r: r, size: size, header: head}
	switch string(head[:2]) {
	case "II":
		f.order = binary.LittleEndian
	case "MM":
		f.order = binary.BigEndian
	default:
		return nil, ErrNotTIFF
	}
	var next uint64
	switch f.order.Uint16(head[2:4]) {
	case 42:
		next = uint64(f.order.Uint32(head[4:8]))
	case 43:
		if n < 16 || f.order.Uint16(head[4:6]) != 8 {
			return nil, fmt.Errorf("BigTIFF header: %w", ErrMalformed)
		}
		f.big = true
		next = f.order.Uint64(head[8:16])
	default:
		return nil, ErrNotTIFF
	}
	seen := map[uint64]bool{}
	for next != 0 {
		if seen[next] || len(f.ifds) > 4096 {
			return nil, fmt.Errorf("IFD chain loops: %w", ErrMalformed)
		}
		seen[next] = true
		d, nxt, err := f.readIFD(next)
		if err != nil {
			return nil, err
		}
		f.ifds = append(f.ifds, d)
		next = nxt
	}
	if len(f.ifds) == 0 {
		return nil, fmt.Errorf("no image directory: %w", ErrMalformed)
	}
	return f, nil
}

func (f *file) readAt(off uint64, n int) ([]byte, error) {
	if n < 0 || n > maxTagBytes || off > uint64(f.size) || uint64(n) > uint64(f.size)-off {
		return nil, fmt.Errorf("%d bytes at offset %d beyond end of file: %w", n, off, ErrMalformed)
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, int64(off)); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return nil, fmt.Errorf("read at %d: %w", off, err)
	}
	return b, nil
}

func (f *file) readIFD(off uint64) (ifd, uint64, error) {
	cntSize, entSize, nextSize := 2, 12, 4
	if f.big {
		cntSize, entSize, nextSize = 8, 20, 8
	}
	cb, err := f.readAt(off, cntSize)
	if err != nil {
		return ifd{}, 0, err
	}
	var count uint64
	if f.big {
		count = f.order.Uint64(cb)
	} else {
		count = uint64(f.order.Uint16(cb))
	}
	if count > 10000 {
		return ifd{}, 0, fmt.Errorf("IFD with %d entries: %w", count, ErrMalformed)
	}
	body, err := f.readAt(off+uint64(cntSize), int(count)*entSize+nextSize)
	if err != nil {
		return ifd{}, 0, err
	}
	d := ifd{offset: off, end: off + uint64(cntSize) + uint64(len(body)), entries: map[uint16]entry{}}
	inline := 4
	if f.big {
		inline = 8
	}
	for i := 0; i < int(count); i++ {
		e := body[i*entSize : (i+1)*entSize]
		tag := f.order.Uint16(e[0:2])
		ent := entry{typ: f.order.Uint16(e[2:4])}
		var val []byte
		if f.big {
			ent.count = f.order.Uint64(e[4:12])
			val = e[12:20]
		} else {
			ent.count = uint64(f.order.Uint32(e[4:8]))
			val = e[8:12]
		}
		sz, ok := typeSizes[ent.typ]
		if !ok {
			continue // unknown types are skipped, as TIFF readers must
		}
		if ent.count > maxTagBytes || uint64(sz)*ent.count <= uint64(inline) {
			ent.raw = append([]byte(nil), val...)
		} else if f.big {
			ent.off = f.order.Uint64(val)
		} else {
			ent.off = uint64(f.order.Uint32(val))
		}
		d.entries[tag] = ent
	}
	tail := body[int(count)*entSize:]
	var next uint64
	if f.big {
		next = f.order.Uint64(tail)
	} else {
		next = uint64(f.order.Uint32(tail))
	}
	return d, next, nil
}

// bytes returns the raw value bytes of an entry.
func (f *file) bytes(e entry) ([]byte, error) {
	n := typeSizes[e.typ] * int(e.count)
	if e.raw != nil {
		if n > len(e.raw) {
			return nil, fmt.Errorf("tag count %d: %w", e.count, ErrMalformed)
		}
		return e.raw[:n], nil
	}
	return f.readAt(e.off, n)
}

// value returns a tag's entry and raw value bytes; ok is false when the tag is absent.
func (f *file) value(d ifd, tag uint16) (e entry, b []byte, ok bool, err error) {
	if e, ok = d.entries[tag]; !ok {
		return e, nil, false, nil
	}
	if b, err = f.bytes(e); err != nil {
		return e, nil, true, fmt.Errorf("tag %d: %w", tag, err)
	}
	return e, b, true, nil
}

// uints reads an integer-typed tag as uint64 values.
func (f *file) uints(d ifd, tag uint16) ([]uint64, bool, error) {
	e, b, ok, err := f.value(d, tag)
	if !ok || err != nil {
		return nil, ok, err
	}
	out := make([]uint64, e.count)
	for i := range out {
		switch e.typ {
		case 1, 6, 7:
			out[i] = uint64(b[i])
		case 3, 8:
			out[i] = uint64(f.order.Uint16(b[2*i:]))
		case 4, 9, 13:
			out[i] = uint64(f.order.Uint32(b[4*i:]))
		case 16, 17, 18:
			out[i] = f.order.Uint64(b[8*i:])
		default:
			return nil, true, fmt.Errorf("tag %d has non-integer type %d: %w", tag, e.typ, ErrMalformed)
		}
	}
	return out, true, nil
}

// uint reads the first value of an integer tag, or def when the tag is absent.
func (f *file) uint(d ifd, tag uint16, def uint64) (uint64, error) {
	v, ok, err := f.uints(d, tag)
	if err != nil {
		return 0, err
	}
	if !ok || len(v) == 0 {
		return def, nil
	}
	return v[0], nil
}

// doubles reads a DOUBLE (or FLOAT) tag.
func (f *file) doubles(d ifd, tag uint16) ([]float64, bool, error) {
	e, b, ok, err := f.value(d, tag)
	if !ok || err != nil {
		return nil, ok, err
	}
	out := make([]float64, e.count)
	for i := range out {
		switch e.typ {
		case 12:
			out[i] = math.Float64frombits(f.order.Uint64(b[8*i:]))
		case 11:
			out[i] = float64(math.Float32frombits(f.order.Uint32(b[4*i:])))
		default:
			return nil, true, fmt.Errorf("tag %d has non-float type %d: %w", tag, e.typ, ErrMalformed)
		}
	}
	return out, true, nil
}

// ascii reads an ASCII tag without its trailing NULs.
func (f *file) ascii(d ifd, tag uint16) (string, bool, error) {
	_, b, ok, err := f.value(d, tag)
	if !ok || err != nil {
		return "", ok, err
	}
	return string(bytes.TrimRight(b, "\x00")), true, nil
}

// OpenFile reads the georeferencing of the file at path.
func OpenFile(path string) (*Info, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	info, err := Read(fh, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}
