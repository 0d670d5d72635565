package geotiff

import (
	"fmt"
	"math"
)

// CRS is the coordinate reference system of a GeoTIFF, as far as eopack can transform it.
type CRS struct {
	EPSG       int  // EPSG code, 0 when user-defined or unknown
	Geographic bool // coordinates are longitude/latitude in degrees
	// TM holds the transverse Mercator parameters of a projected CRS eopack can invert;
	// nil when the projection is not (known to be) transverse Mercator.
	TM *TransverseMercator
	// NullToWGS84 is true when the datum's transformation to WGS84 is the null
	// transformation (WGS84 itself, or GRS80-based datums such as SIRGAS 2000, ETRS89, NAD83,
	// GDA94/GDA2020, whose EPSG transformations to WGS84 are zero shifts).
	NullToWGS84 bool
}

// Ellipsoids by EPSG code.
var (
	ellWGS84 = Ellipsoid{A: 6378137, InvF: 298.257223563}
	ellGRS80 = Ellipsoid{A: 6378137, InvF: 298.257222101}
)

// utmFamily lists projected CRS code ranges that are UTM zones on a datum with a null
// transformation to WGS84.
var utmFamily = []struct {
	from, to  int // inclusive EPSG code range
	zone0     int // zone of code `from`
	south     bool
	ell       Ellipsoid
	geodetics int // EPSG code of the base geographic CRS (documentation)
}{
	{32601, 32660, 1, false, ellWGS84, 4326},
	{32701, 32760, 1, true, ellWGS84, 4326},
	{31965, 31976, 11, false, ellGRS80, 4674}, // SIRGAS 2000 / UTM 11N–22N
	{31977, 31985, 17, true, ellGRS80, 4674},  // SIRGAS 2000 / UTM 17S–25S
	{6210, 6211, 23, false, ellGRS80, 4674},   // SIRGAS 2000 / UTM 23N–24N
	{5396, 5396, 26, true, ellGRS80, 4674},    // SIRGAS 2000 / UTM 26S
	{25828, 25838, 28, false, ellGRS80, 4258}, // ETRS89 / UTM 28N–38N
	{26901, 26923, 1, false, ellGRS80, 4269},  // NAD83 / UTM 1N–23N
	{28348, 28358, 48, true, ellGRS80, 4283},  // GDA94 / MGA 48–58
	{7846, 7859, 46, true, ellGRS80, 7844},    // GDA2020 / MGA 46–59
}

// geographicNull are geographic CRSs whose transformation to WGS84 is null.
var geographicNull = map[int]bool{4326: true, 4674: true, 4258: true, 4269: true, 4283: true, 7844: true, 4019: true}

// UTM returns the transverse Mercator parameters of a UTM zone on ellipsoid e.
func UTM(zone int, south bool, e Ellipsoid) *TransverseMercator {
	fn := 0.0
	if south {
		fn = 10000000
	}
	return &TransverseMercator{Ellipsoid: e, Lon0: float64(zone*6 - 183), K0: 0.9996, FE: 500000, FN: fn}
}

// crsFromKeys interprets the GeoKeys.
func crsFromKeys(k geoKeys) CRS {
	if pcs := int(k.short(keyProjectedCSType)); pcs != 0 && pcs != userDefined {
		c := CRS{EPSG: pcs}
		for _, fam := range utmFamily {
			if pcs >= fam.from && pcs <= fam.to {
				c.TM = UTM(fam.zone0+pcs-fam.from, fam.south, fam.ell)
				c.NullToWGS84 = true
			}
		}
		return c
	}
	if k.short(keyModelType) == 2 {
		gcs := int(k.short(keyGeographicType))
		if gcs == userDefined || gcs == 0 {
			_, ok := userEllipsoid(k)
			return CRS{Geographic: true, NullToWGS84: ok}
		}
		return CRS{EPSG: gcs, Geographic: true, NullToWGS84: geographicNull[gcs]}
	}
	if k.short(keyModelType) != 1 {
		return CRS{}
	}
	// User-defined projected CRS: a UTM ProjectionGeoKey or explicit TM parameters on a
	// WGS84/GRS80 ellipsoid with unknown or null-shift datum.
	ell, ok := userEllipsoid(k)
	if !ok {
		return CRS{}
	}
	if unit := k.short(keyProjLinearUnits); unit != 0 && unit != 9001 {
		return CRS{}
	}
	if p := int(k.short(keyProjection)); p >= 16001 && p <= 16060 {
		return CRS{TM: UTM(p-16000, false, ell), NullToWGS84: true}
	} else if p >= 16101 && p <= 16160 {
		return CRS{TM: UTM(p-16100, true, ell), NullToWGS84: true}
	}
	if k.short(keyProjCoordTrans) != 1 { // CT_TransverseMercator
		return CRS{}
	}
	tm := &TransverseMercator{Ellipsoid: ell, K0: 1}
	if v, ok := k.double(keyNatOriginLong); ok {
		tm.Lon0 = v
	} else if v, ok := k.double(keyCenterLong); ok {
		tm.Lon0 = v
	}
	tm.Lat0, _ = k.double(keyNatOriginLat)
	tm.FE, _ = k.double(keyFalseEasting)
	tm.FN, _ = k.double(keyFalseNorthing)
	if v, ok := k.double(keyScaleAtNatOrigin); ok {
		tm.K0 = v
	}
	return CRS{TM: tm, NullToWGS84: true}
}

// userEllipsoid finds the ellipsoid of a user-defined geographic CRS when it is WGS84 or
// GRS80 (by code or by axis + flattening) and its datum is unknown or null-shift.
func userEllipsoid(k geoKeys) (Ellipsoid, bool) {
	switch g := int(k.short(keyGeographicType)); {
	case g == 4326:
		return ellWGS84, true
	case geographicNull[g]:
		return ellGRS80, true
	case g != 0 && g != userDefined:
		return Ellipsoid{}, false
	}
	if d := int(k.short(keyGeodeticDatum)); d != 0 && d != userDefined && d != 6326 && d != 6674 && d != 6258 && d != 6269 {
		return Ellipsoid{}, false
	}
	switch k.short(keyEllipsoid) {
	case 7030:
		return ellWGS84, true
	case 7019:
		return ellGRS80, true
	case userDefined, 0:
		a, okA := k.double(keySemiMajorAxis)
		invf, okF := k.double(keyInvFlattening)
		if okA && okF && a == 6378137 {
			for _, e := range []Ellipsoid{ellWGS84, ellGRS80} {
				if math.Abs(invf-e.InvF) < 1e-6 {
					return e, true
				}
			}
		}
	}
	return Ellipsoid{}, false
}

// Corners returns the four image corners in CRS coordinates in GDAL's order: upper left,
// lower left, lower right, upper right.
func (i *Info) Corners() [4][2]float64 {
	px := [4][2]float64{{0, 0}, {0, float64(i.Height)}, {float64(i.Width), float64(i.Height)}, {float64(i.Width), 0}}
	var out [4][2]float64
	t := i.Transform
	for n, p := range px {
		out[n] = [2]float64{t[0]*p[0] + t[1]*p[1] + t[2], t[3]*p[0] + t[4]*p[1] + t[5]}
	}
	return out
}

// WGS84Corners transforms Corners to WGS84 longitude/latitude, exactly as gdalinfo computes
// its wgs84Extent footprint. It fails with ErrUnsupportedCRS for CRSs eopack cannot
// transform.
func (i *Info) WGS84Corners() ([4][2]float64, error) {
	var out [4][2]float64
	c := i.CRS
	if !c.NullToWGS84 || (!c.Geographic && c.TM == nil) {
		name := "user-defined CRS"
		if c.EPSG != 0 {
			name = fmt.Sprintf("EPSG:%d", c.EPSG)
		}
		return out, fmt.Errorf("%s: %w", name, ErrUnsupportedCRS)
	}
	for n, p := range i.Corners() {
		if c.Geographic {
			out[n] = p
			continue
		}
		lon, lat := c.TM.Inverse(p[0], p[1])
		out[n] = [2]float64{lon, lat}
	}
	return out, nil
}
