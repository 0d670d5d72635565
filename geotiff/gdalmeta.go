package geotiff

import (
	"encoding/xml"
	"strconv"
)

// tagGDALMetadata is GDAL's private XML metadata tag.
const tagGDALMetadata = 42112

// gdalMetadata is the XML GDAL writes into tag 42112.
type gdalMetadata struct {
	Items []struct {
		Name   string `xml:"name,attr"`
		Sample string `xml:"sample,attr"`
		Role   string `xml:"role,attr"`
		Value  string `xml:",chardata"`
	} `xml:"Item"`
}

// bandDescriptions returns GDAL's per-band descriptions (role="description"), indexed by
// band; nil when there are none or the XML does not parse.
func (f *file) bandDescriptions(d ifd, bands int) []string {
	s, ok, err := f.ascii(d, tagGDALMetadata)
	if err != nil || !ok {
		return nil
	}
	var md gdalMetadata
	if xml.Unmarshal([]byte(s), &md) != nil {
		return nil
	}
	var out []string
	for _, it := range md.Items {
		n, err := strconv.Atoi(it.Sample)
		if it.Role != "description" || err != nil || n < 0 || n >= bands || it.Value == "" {
			continue
		}
		if out == nil {
			out = make([]string, bands)
		}
		out[n] = it.Value
	}
	return out
}
