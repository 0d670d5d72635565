package cli

// ORAS's --platform: parsing os[/arch][/variant][:os_version], matching it against an
// index's entries, and (cp with several platforms) cutting an index down to the entries of
// the platforms asked for.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// platformForm is the flag's value name in help, as ORAS writes it.
const platformForm = "`os[/arch][/variant][:os_version]`"

// parsePlatform parses ORAS's --platform os[/arch][/variant][:os_version]; empty means none.
// Without an architecture the one eopack runs on (GOARCH) is asked for, as ORAS does.
func parsePlatform(s string) (*ocispec.Platform, error) { return parsePlatformFlag("--platform", s) }

// parsePlatformFlag is parsePlatform for the flag called flag (named in errors).
func parsePlatformFlag(flag, s string) (*ocispec.Platform, error) {
	if s == "" {
		return nil, nil
	}
	spec, osVersion, _ := strings.Cut(s, ":")
	parts := strings.Split(spec, "/")
	p := &ocispec.Platform{OS: parts[0], OSVersion: osVersion}
	switch len(parts) {
	case 1:
		p.Architecture = runtime.GOARCH
	case 2, 3:
		p.Architecture = parts[1]
		if len(parts) == 3 {
			p.Variant = parts[2]
		}
	default:
		return nil, usagef("%s %q: want os[/arch][/variant][:os_version], e.g. linux/amd64", flag, s)
	}
	switch {
	case p.OS == "":
		return nil, usagef("%s %q: the OS is empty (want os[/arch][/variant][:os_version])", flag, s)
	case p.Architecture == "":
		return nil, usagef("%s %q: the architecture is empty (want os[/arch][/variant][:os_version])", flag, s)
	}
	return p, nil
}

// parsePlatforms parses cp's repeatable, comma-separated --platform.
func parsePlatforms(list []string) ([]*ocispec.Platform, error) {
	var out []*ocispec.Platform
	for _, s := range list {
		p, err := parsePlatform(s)
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// platformMatches is oras-go's rule: os and architecture equal; variant and os_version
// only when asked for; the asked os_features all present.
func platformMatches(got *ocispec.Platform, want *ocispec.Platform) bool {
	if got == nil || got.OS != want.OS || got.Architecture != want.Architecture {
		return false
	}
	if want.Variant != "" && got.Variant != want.Variant {
		return false
	}
	if want.OSVersion != "" && got.OSVersion != want.OSVersion {
		return false
	}
	for _, f := range want.OSFeatures {
		if !slices.Contains(got.OSFeatures, f) {
			return false
		}
	}
	return true
}

// selectPlatforms keeps, of the index raw, the entries that match one of want, and the
// entries that name no platform. Every platform asked for must match an entry. When every
// entry is kept, raw comes back unchanged (same digest); otherwise a new index is written
// as ORAS writes it: the top-level members in their order with their bytes as they were,
// and the kept entries, each byte for byte, in their order.
func selectPlatforms(raw []byte, want []*ocispec.Platform) ([]byte, []ocispec.Descriptor, error) {
	var idx struct {
		Manifests []json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, nil, fmt.Errorf("index is not JSON: %w", err)
	}
	var keptRaw []json.RawMessage
	var kept []ocispec.Descriptor
	matched := make([]bool, len(want))
	var available []string
	for _, e := range idx.Manifests {
		var d ocispec.Descriptor
		if err := json.Unmarshal(e, &d); err != nil {
			return nil, nil, fmt.Errorf("index entry is not a descriptor: %w", err)
		}
		keep := d.Platform == nil
		if d.Platform != nil {
			available = append(available, formatPlatform(d.Platform))
		}
		for i, w := range want {
			if platformMatches(d.Platform, w) {
				keep, matched[i] = true, true
			}
		}
		if keep {
			keptRaw = append(keptRaw, e)
			kept = append(kept, d)
		}
	}
	var unmatched []string
	for i, ok := range matched {
		if !ok {
			unmatched = append(unmatched, formatPlatform(want[i]))
		}
	}
	if len(unmatched) > 0 {
		return nil, nil, fmt.Errorf("unmatched platforms: [%s]\navailable platforms in index: [%s]",
			strings.Join(unmatched, ", "), strings.Join(available, ", "))
	}
	if len(kept) == len(idx.Manifests) {
		return raw, kept, nil
	}
	var list bytes.Buffer
	list.WriteByte('[')
	for i, e := range keptRaw {
		if i > 0 {
			list.WriteByte(',')
		}
		list.Write(e)
	}
	list.WriteByte(']')
	out, err := replaceMember(raw, "manifests", list.Bytes())
	return out, kept, err
}

// replaceMember rewrites the JSON object raw with member key's value replaced by value;
// the other members keep their order and bytes (whitespace between members is dropped).
func replaceMember(raw []byte, key string, value []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("index is not a JSON object")
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for first := true; dec.More(); first = false {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if k == key {
			v = value
		}
		if !first {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
