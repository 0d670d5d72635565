// Package stac holds STAC 1.1 Item types and eopack's mapping between a STAC Item and an OCI
// manifest: one layer per local asset (so a band is fetched and deduplicated alone), the item
// itself as the config and/or a layer, and product-level annotations on the manifest. It also
// builds Items from GeoTIFF files (Create) and selects/rewrites assets for a selective pull.
// It is pure: no network code, only files named by the caller.
//
// Specs: STAC 1.1.0 (https://github.com/radiantearth/stac-spec/tree/v1.1.0), projection
// extension v2.0.0, eo extension v2.0.0; conventions: ARCHITECTURE.md and docs/eo-artifacts.md.
package stac

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
)

// Version is the STAC version of the Items eopack writes.
const Version = "1.1.0"

// Extension schema URLs eopack writes (the versions the offline validator knows).
const (
	ExtProjection = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
	ExtEO         = "https://stac-extensions.github.io/eo/v2.0.0/schema.json"
)

// Sentinel errors.
var (
	ErrNotJSON   = errors.New("not JSON")
	ErrNotItem   = errors.New("not a STAC Item")
	ErrEscapes   = errors.New("asset href escapes the item's folder")
	ErrNoAssets  = errors.New("no asset matches")
	ErrNoItem    = errors.New("manifest carries no STAC item")
	ErrDuplicate = errors.New("duplicate layer title")
)

// Item is a STAC Item. Fields eopack does not model are kept in Extra and written back
// unchanged, so an Item survives a push/pull round trip byte-for-byte in meaning.
type Item struct {
	Type           string            `json:"type"`
	StacVersion    string            `json:"stac_version"`
	StacExtensions []string          `json:"stac_extensions,omitempty"`
	ID             string            `json:"id"`
	Geometry       json.RawMessage   `json:"geometry"`
	BBox           []float64         `json:"bbox,omitempty"`
	Properties     map[string]any    `json:"properties"`
	Links          []json.RawMessage `json:"links"`
	Assets         map[string]*Asset `json:"assets"`
	Collection     string            `json:"collection,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Asset is a STAC asset.
type Asset struct {
	Href    string   `json:"href"`
	Type    string   `json:"type,omitempty"`
	Title   string   `json:"title,omitempty"`
	Roles   []string `json:"roles,omitempty"`
	Bands   []Band   `json:"bands,omitempty"`
	EOBands []Band   `json:"eo:bands,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Band is a STAC 1.1 band (or an older eo:bands entry).
type Band struct {
	Name       string `json:"name,omitempty"`
	CommonName string `json:"eo:common_name,omitempty"`
	DataType   string `json:"data_type,omitempty"`
	Nodata     any    `json:"nodata,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

type (
	plainItem  Item
	plainAsset Asset
	plainBand  Band
)

// UnmarshalJSON implements json.Unmarshaler, keeping unknown members in Extra.
func (i *Item) UnmarshalJSON(b []byte) error { return unmarshalKeep(b, (*plainItem)(i), &i.Extra) }

// MarshalJSON implements json.Marshaler, writing Extra back.
func (i Item) MarshalJSON() ([]byte, error) { return marshalKeep(plainItem(i), i.Extra) }

// UnmarshalJSON implements json.Unmarshaler, keeping unknown members in Extra.
func (a *Asset) UnmarshalJSON(b []byte) error { return unmarshalKeep(b, (*plainAsset)(a), &a.Extra) }

// MarshalJSON implements json.Marshaler, writing Extra back.
func (a Asset) MarshalJSON() ([]byte, error) { return marshalKeep(plainAsset(a), a.Extra) }

// UnmarshalJSON implements json.Unmarshaler, keeping unknown members in Extra.
func (b *Band) UnmarshalJSON(data []byte) error {
	return unmarshalKeep(data, (*plainBand)(b), &b.Extra)
}

// MarshalJSON implements json.Marshaler, writing Extra back.
func (b Band) MarshalJSON() ([]byte, error) { return marshalKeep(plainBand(b), b.Extra) }

// jsonNames returns the JSON member names of a struct type's fields.
func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		if tag != "" && tag != "-" {
			names[tag] = true
		}
	}
	return names
}

// unmarshalKeep decodes b into v (numbers as json.Number, so they round-trip exactly) and
// keeps the members v has no field for in extra.
func unmarshalKeep(b []byte, v any, extra *map[string]json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	known := jsonNames(reflect.TypeOf(v).Elem())
	for k := range all {
		if known[k] {
			delete(all, k)
		}
	}
	if len(all) > 0 {
		*extra = all
	}
	return nil
}

func marshalKeep(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range extra {
		if _, ok := all[k]; !ok {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

// Parse decodes and checks a STAC Item.
func Parse(data []byte) (*Item, error) {
	if !json.Valid(data) {
		return nil, ErrNotJSON
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("top level is not an object: %w", ErrNotItem)
	}
	var it Item
	if err := json.Unmarshal(data, &it); err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrNotItem)
	}
	switch {
	case it.Type != "Feature":
		return nil, fmt.Errorf(`"type" is %q, want "Feature": %w`, it.Type, ErrNotItem)
	case it.StacVersion == "":
		return nil, fmt.Errorf(`no "stac_version": %w`, ErrNotItem)
	case it.ID == "":
		return nil, fmt.Errorf(`no "id": %w`, ErrNotItem)
	case it.Properties == nil:
		return nil, fmt.Errorf(`no "properties": %w`, ErrNotItem)
	case it.Assets == nil:
		return nil, fmt.Errorf(`no "assets": %w`, ErrNotItem)
	}
	for k, a := range it.Assets {
		if a == nil || a.Href == "" {
			return nil, fmt.Errorf("asset %q has no href: %w", k, ErrNotItem)
		}
	}
	return &it, nil
}

// ReadFile reads and checks the STAC Item at path.
func ReadFile(path string) (*Item, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	it, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return it, nil
}

// Encode writes the item as indented JSON with a trailing newline.
func (i *Item) Encode() ([]byte, error) {
	b, err := json.Marshal(i)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// Clone returns a deep copy of the item.
func (i *Item) Clone() *Item {
	b, err := json.Marshal(i)
	if err != nil {
		panic(err) // an Item that decoded always encodes
	}
	var c Item
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

// AssetKeys returns the item's asset keys, sorted.
func (i *Item) AssetKeys() []string {
	keys := make([]string, 0, len(i.Assets))
	for k := range i.Assets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// BandNames returns the names of an asset's bands from STAC 1.1 "bands", falling back to
// the older "eo:bands", and to eo:common_name when a band has no name.
func (a *Asset) BandNames() []string {
	bands := a.Bands
	if len(bands) == 0 {
		bands = a.EOBands
	}
	var names []string
	for _, b := range bands {
		switch {
		case b.Name != "":
			names = append(names, b.Name)
		case b.CommonName != "":
			names = append(names, b.CommonName)
		}
	}
	return names
}

// Datetime returns properties.datetime, or start_datetime when datetime is null.
func (i *Item) Datetime() string {
	for _, k := range []string{"datetime", "start_datetime"} {
		if s, ok := i.Properties[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
