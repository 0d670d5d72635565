package geotiff

import "fmt"

// GeoKey IDs (OGC GeoTIFF 1.1 §7) used here.
const (
	keyModelType        = 1024
	keyRasterType       = 1025
	keyGeographicType   = 2048
	keyGeodeticDatum    = 2050
	keyEllipsoid        = 2056
	keySemiMajorAxis    = 2057
	keyInvFlattening    = 2059
	keyProjectedCSType  = 3072
	keyProjection       = 3074
	keyProjCoordTrans   = 3075
	keyProjLinearUnits  = 3076
	keyNatOriginLong    = 3080
	keyNatOriginLat     = 3081
	keyFalseEasting     = 3082
	keyFalseNorthing    = 3083
	keyScaleAtNatOrigin = 3092
	keyCenterLong       = 3088

	rasterPixelIsPoint = 2
	userDefined        = 32767
)

// geoKeys holds the decoded GeoKeyDirectory: SHORT-valued keys and DOUBLE-valued keys.
type geoKeys struct {
	shorts  map[uint16]uint16
	doubles map[uint16]float64
	present bool
}

func (k geoKeys) short(id uint16) uint16 { return k.shorts[id] }

func (k geoKeys) double(id uint16) (float64, bool) {
	v, ok := k.doubles[id]
	return v, ok
}

// geoKeys decodes the GeoKeyDirectoryTag with its GeoDoubleParams.
func (f *file) geoKeys(d ifd) (geoKeys, error) {
	k := geoKeys{shorts: map[uint16]uint16{}, doubles: map[uint16]float64{}}
	dir, ok, err := f.uints(d, tagGeoKeyDirectory)
	if err != nil || !ok {
		return k, err
	}
	if len(dir) < 4 {
		return k, fmt.Errorf("GeoKeyDirectory too short: %w", ErrMalformed)
	}
	k.present = true
	params, _, err := f.doubles(d, tagGeoDoubleParams)
	if err != nil {
		return k, err
	}
	n := int(dir[3])
	if len(dir) < 4+4*n {
		return k, fmt.Errorf("GeoKeyDirectory declares %d keys: %w", n, ErrMalformed)
	}
	for i := 0; i < n; i++ {
		e := dir[4+4*i : 8+4*i]
		id, loc, count, val := uint16(e[0]), e[1], e[2], e[3]
		switch loc {
		case 0:
			k.shorts[id] = uint16(val)
		case tagGeoDoubleParams:
			if count >= 1 && int(val) < len(params) {
				k.doubles[id] = params[val]
			}
		}
	}
	return k, nil
}
