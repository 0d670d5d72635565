package stac

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/eopack/eopack/geotiff"
)

// Media types of GeoTIFF assets.
const (
	TypeCOG     = "image/tiff; application=geotiff; profile=cloud-optimized"
	TypeGeoTIFF = "image/tiff; application=geotiff"
)

// ErrNeedBBox means a file's CRS cannot be transformed to WGS84 and no bbox was given.
var ErrNeedBBox = errors.New("cannot compute the WGS84 footprint; give --bbox w,s,e,n")

// CreateOptions are the choices Create cannot read from the files.
type CreateOptions struct {
	ID         string    // default: the folder name for several files, else the file's stem
	Datetime   time.Time // required (the CLI supplies a default)
	Collection string
	// CollectionHref is the href of the collection link STAC requires when Collection is set
	// (default "collection.json", beside the item as in a static catalog).
	CollectionHref string
	BBox           []float64 // WGS84 w,s,e,n; overrides the computed footprint
	ItemDir        string    // folder the item will be written to; hrefs are relative to it
}

// Create builds a STAC 1.1 Item describing GeoTIFF files: one asset per file (keyed by the
// file's stem) with band names (GDAL's band descriptions when present, else the file's stem,
// suffixed _bN for multi-band files), data type and COG-or-GeoTIFF type; projection fields on the
// item when all files share a grid, else on each asset; bbox and geometry in WGS84.
func Create(files []string, o CreateOptions) (*Item, error) {
	if len(files) == 0 {
		return nil, errors.New("no files")
	}
	it := &Item{
		Type: "Feature", StacVersion: Version, StacExtensions: []string{ExtProjection},
		ID: o.ID, Properties: map[string]any{"datetime": o.Datetime.UTC().Format(time.RFC3339)},
		Links: []json.RawMessage{}, Assets: map[string]*Asset{}, Collection: o.Collection,
	}
	if it.ID == "" {
		it.ID = defaultID(files)
	}
	if o.Collection != "" {
		href := o.CollectionHref
		if href == "" {
			href = "collection.json"
		}
		l, _ := json.Marshal(map[string]string{"rel": "collection", "href": href, "type": "application/json", "title": o.Collection})
		it.Links = append(it.Links, l)
	}
	infos := make([]*geotiff.Info, len(files))
	var corners [][4][2]float64
	for n, f := range files {
		info, err := geotiff.OpenFile(f)
		if err != nil {
			return nil, err
		}
		infos[n] = info
		key := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		if _, dup := it.Assets[key]; dup {
			return nil, fmt.Errorf("%s: two files would be asset %q", f, key)
		}
		href, err := relHref(o.ItemDir, f)
		if err != nil {
			return nil, err
		}
		it.Assets[key] = newAsset(key, href, info)
		if o.BBox == nil {
			c, err := info.WGS84Corners()
			if err != nil {
				return nil, fmt.Errorf("%s: %w: %w", f, err, ErrNeedBBox)
			}
			corners = append(corners, c)
		}
	}
	shared := sameGrid(infos)
	for n, f := range files {
		a := it.Assets[strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))]
		for k, v := range projFields(infos[n]) {
			if shared {
				it.Properties[k] = v
				continue
			}
			if a.Extra == nil {
				a.Extra = map[string]json.RawMessage{}
			}
			a.Extra[k], _ = json.Marshal(v)
		}
	}
	if o.BBox != nil {
		it.BBox = o.BBox
		it.Geometry = bboxPolygon(o.BBox)
	} else {
		it.BBox, it.Geometry = footprint(corners)
	}
	for _, a := range it.Assets {
		for _, b := range a.Bands {
			if b.CommonName != "" {
				it.StacExtensions = append(it.StacExtensions, ExtEO)
				return it, nil
			}
		}
	}
	return it, nil
}

func defaultID(files []string) string {
	if len(files) > 1 {
		if abs, err := filepath.Abs(files[0]); err == nil {
			return filepath.Base(filepath.Dir(abs))
		}
	}
	return strings.TrimSuffix(filepath.Base(files[0]), filepath.Ext(files[0]))
}

// relHref makes a file's href relative to the item folder, refusing files outside it.
func relHref(itemDir, file string) (string, error) {
	if itemDir == "" {
		itemDir = "."
	}
	d, err := filepath.Abs(itemDir)
	if err != nil {
		return "", err
	}
	f, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(d, f)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the item's folder %s (write the item next to the data): %w", file, itemDir, ErrEscapes)
	}
	return filepath.ToSlash(rel), nil
}

func newAsset(key, href string, info *geotiff.Info) *Asset {
	a := &Asset{Href: href, Type: TypeGeoTIFF, Roles: []string{"data"}}
	if info.COG {
		a.Type = TypeCOG
	}
	for b := 1; b <= info.Bands; b++ {
		band := Band{Name: key, DataType: info.DataType}
		if info.Bands > 1 {
			band.Name = fmt.Sprintf("%s_b%d", key, b)
		}
		if len(info.BandDescriptions) >= b && info.BandDescriptions[b-1] != "" {
			band.Name = info.BandDescriptions[b-1]
		}
		if info.Bands == 3 && info.Photometric == 2 {
			band.CommonName = []string{"red", "green", "blue"}[b-1]
		}
		if info.NoData != nil {
			band.Nodata = nodataValue(*info.NoData)
		}
		a.Bands = append(a.Bands, band)
	}
	return a
}

// nodataValue turns GDAL's nodata string into a STAC nodata value (number or "nan"/"inf"/"-inf").
func nodataValue(s string) any {
	switch strings.ToLower(s) {
	case "nan":
		return "nan"
	case "inf", "+inf":
		return "inf"
	case "-inf":
		return "-inf"
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v
	}
	return s
}

func sameGrid(infos []*geotiff.Info) bool {
	for _, i := range infos[1:] {
		if i.EPSG != infos[0].EPSG || i.Width != infos[0].Width || i.Height != infos[0].Height || i.Transform != infos[0].Transform {
			return false
		}
	}
	return true
}

func projFields(i *geotiff.Info) map[string]any {
	var code any // null for user-defined CRSs
	if i.EPSG != 0 {
		code = fmt.Sprintf("EPSG:%d", i.EPSG)
	}
	c := i.Corners()
	w, s, e, n := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range c {
		w, e = math.Min(w, p[0]), math.Max(e, p[0])
		s, n = math.Min(s, p[1]), math.Max(n, p[1])
	}
	return map[string]any{
		"proj:code":      code,
		"proj:shape":     []int{i.Height, i.Width},
		"proj:transform": i.Transform[:],
		"proj:bbox":      []float64{w, s, e, n},
	}
}

// footprint returns the WGS84 bbox and geometry: the corner polygon (as gdalinfo's
// wgs84Extent) when all files share one, else the polygon of the union bbox.
func footprint(corners [][4][2]float64) ([]float64, json.RawMessage) {
	w, s, e, n := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	same := true
	for _, c := range corners {
		same = same && c == corners[0]
		for _, p := range c {
			w, e = math.Min(w, p[0]), math.Max(e, p[0])
			s, n = math.Min(s, p[1]), math.Max(n, p[1])
		}
	}
	bbox := []float64{w, s, e, n}
	if !same {
		return bbox, bboxPolygon(bbox)
	}
	c := corners[0]
	ring := [][2]float64{c[0], c[1], c[2], c[3], c[0]}
	return bbox, polygon(ring)
}

func bboxPolygon(b []float64) json.RawMessage {
	w, s, e, n := b[0], b[1], b[2], b[3]
	return polygon([][2]float64{{w, n}, {w, s}, {e, s}, {e, n}, {w, n}})
}

func polygon(ring [][2]float64) json.RawMessage {
	g, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}})
	return g
}
