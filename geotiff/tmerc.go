package geotiff

import "math"

// Ellipsoid is a reference ellipsoid given by its semi-major axis and inverse flattening.
type Ellipsoid struct {
	A    float64 // semi-major axis, metres
	InvF float64 // inverse flattening
}

// TransverseMercator is a transverse Mercator projection (UTM is one) on an ellipsoid.
// Inverse uses the Krüger series to order n⁶ (Karney, "Transverse Mercator with an accuracy
// of a few nanometers", J. Geodesy 85, 2011), the same method PROJ uses by default, so
// results agree with PROJ/GDAL to far below a micro-degree within a few zones' widths.
type TransverseMercator struct {
	Ellipsoid
	Lon0, Lat0 float64 // natural origin, degrees
	K0         float64 // scale factor at the central meridian
	FE, FN     float64 // false easting / northing, metres
}

// series holds the constants derived from the ellipsoid.
type series struct {
	e, a  float64 // eccentricity, rectifying radius A
	alpha [7]float64
	beta  [7]float64
}

func (el Ellipsoid) series() series {
	f := 1 / el.InvF
	n := f / (2 - f)
	n2 := n * n
	n3 := n2 * n
	n4, n5, n6 := n2*n2, n2*n3, n3*n3
	var s series
	s.e = math.Sqrt(f * (2 - f))
	s.a = el.A / (1 + n) * (1 + n2/4 + n4/64 + n6/256)
	s.alpha = [7]float64{0,
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180 - 127*n5/288 + 7891*n6/37800,
		13*n2/48 - 3*n3/5 + 557*n4/1440 + 281*n5/630 - 1983433*n6/1935360,
		61*n3/240 - 103*n4/140 + 15061*n5/26880 + 167603*n6/181440,
		49561*n4/161280 - 179*n5/168 + 6601661*n6/7257600,
		34729*n5/80640 - 3418889*n6/1995840,
		212378941 * n6 / 319334400,
	}
	s.beta = [7]float64{0,
		n/2 - 2*n2/3 + 37*n3/96 - n4/360 - 81*n5/512 + 96199*n6/604800,
		n2/48 + n3/15 - 437*n4/1440 + 46*n5/105 - 1118711*n6/3870720,
		17*n3/480 - 37*n4/840 - 209*n5/4480 + 5569*n6/90720,
		4397*n4/161280 - 11*n5/504 - 830251*n6/7257600,
		4583*n5/161280 - 108847*n6/3991680,
		20648693 * n6 / 638668800,
	}
	return s
}

// conformalTau returns tan χ for tan φ = tau (Karney 2011, eq. 7–9).
func conformalTau(tau, e float64) float64 {
	sig := math.Sinh(e * math.Atanh(e*tau/math.Hypot(1, tau)))
	return tau*math.Hypot(1, sig) - sig*math.Hypot(1, tau)
}

// geodeticTau inverts conformalTau by Newton's method (Karney 2011, eq. 19–21).
func geodeticTau(taup, e float64) float64 {
	e2m := 1 - e*e
	tau := taup / e2m
	for i := 0; i < 8; i++ {
		tp := conformalTau(tau, e)
		d := (taup - tp) / math.Hypot(1, tp) * (1 + e2m*tau*tau) / (e2m * math.Hypot(1, tau))
		tau += d
		if math.Abs(d) < 1e-14*math.Max(1, math.Abs(tau)) {
			break
		}
	}
	return tau
}

// originNorthing is k0·A·ξ at (Lat0, Lon0): the northing of the natural origin.
func (p *TransverseMercator) originNorthing(s series) float64 {
	if p.Lat0 == 0 {
		return 0
	}
	xip := math.Atan(conformalTau(math.Tan(p.Lat0*math.Pi/180), s.e))
	xi := xip
	for j := 1; j <= 6; j++ {
		xi += s.alpha[j] * math.Sin(2*float64(j)*xip)
	}
	return p.K0 * s.a * xi
}

// Inverse converts projected coordinates (easting x, northing y, metres) to longitude and
// latitude in degrees on the projection's ellipsoid.
func (p *TransverseMercator) Inverse(x, y float64) (lon, lat float64) {
	s := p.series()
	xi := (y - p.FN + p.originNorthing(s)) / (p.K0 * s.a)
	eta := (x - p.FE) / (p.K0 * s.a)
	xip, etap := xi, eta
	for j := 1; j <= 6; j++ {
		fj := 2 * float64(j)
		xip -= s.beta[j] * math.Sin(fj*xi) * math.Cosh(fj*eta)
		etap -= s.beta[j] * math.Cos(fj*xi) * math.Sinh(fj*eta)
	}
	taup := math.Sin(xip) / math.Hypot(math.Sinh(etap), math.Cos(xip))
	lat = math.Atan(geodeticTau(taup, s.e)) * 180 / math.Pi
	lon = p.Lon0 + math.Atan2(math.Sinh(etap), math.Cos(xip))*180/math.Pi
	return lon, lat
}
