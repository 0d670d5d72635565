package geotiff

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Info is what eopack knows about one GeoTIFF after reading its header and IFDs.
type Info struct {
	Width, Height int
	Bands         int // SamplesPerPixel of the full-resolution image
	Photometric   int // PhotometricInterpretation (1 min-is-black, 2 RGB, …)
	// BandDescriptions are GDAL's band descriptions (GDAL_METADATA), one per band, "" where
	// a band has none; nil when the file has none at all.
	BandDescriptions []string
	DataType         string // STAC data_type: uint8, int16, uint16, int32, float32, …
	// Transform is the affine pixel→CRS transform in STAC proj:transform order
	// [a, b, c, d, e, f]: x = a·col + b·row + c, y = d·col + e·row + f (pixel corners).
	Transform [6]float64
	EPSG      int // CRS EPSG code, 0 when the CRS is user-defined
	CRS       CRS // the CRS as far as eopack understands it
	NoData    *string
	Tiled     bool
	TileSize  [2]int // tile width, height when Tiled
	Overviews int    // reduced-resolution images (excluding masks)
	COG       bool   // cloud-optimized layout (see cogLayout)
	BigTIFF   bool
}

// Read parses a TIFF of the given size from r and returns its Info. It fails with
// ErrNotGeoreferenced when the file has no GeoTIFF transform.
func Read(r io.ReaderAt, size int64) (*Info, error) {
	f, err := parse(r, size)
	if err != nil {
		return nil, err
	}
	main := f.ifds[0]
	info := &Info{BigTIFF: f.big}
	w, err := f.uint(main, tagImageWidth, 0)
	if err != nil {
		return nil, err
	}
	h, err := f.uint(main, tagImageLength, 0)
	if err != nil {
		return nil, err
	}
	if w == 0 || h == 0 || w > math.MaxInt32 || h > math.MaxInt32 {
		return nil, fmt.Errorf("image size %dx%d: %w", w, h, ErrMalformed)
	}
	info.Width, info.Height = int(w), int(h)
	spp, err := f.uint(main, tagSamplesPerPixel, 1)
	if err != nil {
		return nil, err
	}
	info.Bands = int(spp)
	photo, err := f.uint(main, tagPhotometric, 1)
	if err != nil {
		return nil, err
	}
	info.Photometric = int(photo)
	if info.Bands < 1<<16 {
		info.BandDescriptions = f.bandDescriptions(main, info.Bands)
	}
	if info.DataType, err = f.dataType(main); err != nil {
		return nil, err
	}
	if nd, ok, err := f.ascii(main, tagGDALNoData); err != nil {
		return nil, err
	} else if ok {
		s := strings.TrimSpace(nd)
		info.NoData = &s
	}
	tw, err := f.uint(main, tagTileWidth, 0)
	if err != nil {
		return nil, err
	}
	th, err := f.uint(main, tagTileLength, 0)
	if err != nil {
		return nil, err
	}
	info.Tiled = tw > 0 && th > 0
	info.TileSize = [2]int{int(tw), int(th)}
	for _, d := range f.ifds[1:] {
		st, err := f.uint(d, tagNewSubfileType, 0)
		if err != nil {
			return nil, err
		}
		if st&subfileReducedImage != 0 && st&subfileMask == 0 {
			info.Overviews++
		}
	}
	if info.COG, err = f.cogLayout(info); err != nil {
		return nil, err
	}
	keys, err := f.geoKeys(main)
	if err != nil {
		return nil, err
	}
	if info.Transform, err = f.transform(main, keys); err != nil {
		return nil, err
	}
	info.CRS = crsFromKeys(keys)
	info.EPSG = info.CRS.EPSG
	return info, nil
}

// dataType maps BitsPerSample + SampleFormat to a STAC data_type.
func (f *file) dataType(d ifd) (string, error) {
	bits, err := f.uint(d, tagBitsPerSample, 1)
	if err != nil {
		return "", err
	}
	format, err := f.uint(d, tagSampleFormat, 1)
	if err != nil {
		return "", err
	}
	kind := map[uint64]string{1: "uint", 2: "int", 3: "float", 5: "cint", 6: "cfloat"}[format]
	if kind == "" {
		return "other", nil
	}
	switch {
	case kind == "uint" && bits == 1:
		return "uint8", nil // bilevel data, stored as bytes by every reader
	case bits == 8 || bits == 16 || bits == 32 || bits == 64:
		if kind == "float" && bits == 8 {
			return "other", nil
		}
		return kind + strconv.FormatUint(bits, 10), nil
	}
	return "other", nil
}

// transform derives the affine transform from ModelTransformation or ModelPixelScale +
// ModelTiepoint, shifting PixelIsPoint rasters by half a pixel the way GDAL does.
func (f *file) transform(d ifd, keys geoKeys) ([6]float64, error) {
	var t [6]float64
	if m, ok, err := f.doubles(d, tagModelTransform); err != nil {
		return t, err
	} else if ok {
		if len(m) < 16 {
			return t, fmt.Errorf("ModelTransformation has %d values: %w", len(m), ErrMalformed)
		}
		t = [6]float64{m[0], m[1], m[3], m[4], m[5], m[7]}
	} else {
		scale, okS, err := f.doubles(d, tagModelPixelScale)
		if err != nil {
			return t, err
		}
		tie, okT, err := f.doubles(d, tagModelTiepoint)
		if err != nil {
			return t, err
		}
		if !okS || !okT {
			return t, ErrNotGeoreferenced
		}
		if len(scale) < 2 || len(tie) < 6 {
			return t, fmt.Errorf("ModelPixelScale/ModelTiepoint too short: %w", ErrMalformed)
		}
		t = [6]float64{scale[0], 0, tie[3] - tie[0]*scale[0], 0, -scale[1], tie[4] + tie[1]*scale[1]}
	}
	if keys.short(keyRasterType) == rasterPixelIsPoint {
		t[2] -= 0.5*t[0] + 0.5*t[1]
		t[5] -= 0.5*t[3] + 0.5*t[4]
	}
	return t, nil
}

// cogLayout reports whether the file is laid out as a Cloud-Optimized GeoTIFF, following
// GDAL's validator but stricter on tiling: the full-resolution image and its overviews are
// tiled, and every IFD precedes the first byte of image data (so a reader gets all the
// structure with one small range request), and GDAL's ghost header does not say the file
// was edited in place after being written as a COG (KNOWN_INCOMPATIBLE_EDITION=YES).
func (f *file) cogLayout(info *Info) (bool, error) {
	if !info.Tiled {
		return false, nil
	}
	if strings.Contains(string(f.header), "KNOWN_INCOMPATIBLE_EDITION=YES") {
		return false, nil // GDAL's ghost header: the file was edited after it was written as a COG
	}
	var lastIFD uint64
	firstData := uint64(math.MaxUint64)
	for i, d := range f.ifds {
		if d.end > lastIFD {
			lastIFD = d.end
		}
		tag := uint16(tagTileOffsets)
		if _, ok := d.entries[tag]; !ok {
			if i > 0 {
				st, err := f.uint(d, tagNewSubfileType, 0)
				if err != nil {
					return false, err
				}
				if st&subfileReducedImage != 0 {
					return false, nil // untiled overview
				}
			}
			tag = tagStripOffsets
		}
		offs, _, err := f.uints(d, tag)
		if err != nil {
			return false, err
		}
		for _, o := range offs {
			if o != 0 && o < firstData {
				firstData = o
			}
		}
	}
	return lastIFD <= firstData, nil
}
