package target

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"oras.land/oras-go/v2/registry/remote"
)

// --distribution-spec values: how referrers are listed and pushed.
const (
	SpecReferrersAPI = "v1.1-referrers-api" // the referrers API only
	SpecReferrersTag = "v1.1-referrers-tag" // the referrers tag schema only
	specUnknown      = "unknown"            // detect: the API, else the tag schema
)

// AddDistributionSpecFlag declares ORAS's --distribution-spec (attach, discover, manifest
// push and delete; cp's sides get theirs from AddFlagsWithPrefix).
func (o *Options) AddDistributionSpecFlag(fs *pflag.FlagSet) {
	o.DistributionSpec = specUnknown
	side := ""
	switch o.prefix {
	case "from-":
		side = "source "
	case "to-":
		side = "destination "
	}
	fs.Var((*specValue)(&o.DistributionSpec), o.prefix+"distribution-spec",
		"[Preview] set OCI distribution spec version and API option for "+side+"target. Options: "+SpecReferrersTag+", "+SpecReferrersAPI)
}

// AddLayoutPathFlag declares ORAS's --oci-layout-path (the verbs that take --oci-layout).
func (o *Options) AddLayoutPathFlag(fs *pflag.FlagSet) { o.addLayoutPathFlag(fs, "") }

func (o *Options) addLayoutPathFlag(fs *pflag.FlagSet, description string) {
	fs.StringVar(&o.LayoutPath, o.prefix+"oci-layout-path", "", "[Experimental] set the path for the "+description+"OCI image layout target; the reference is then a tag or digest in it")
}

// applyDistributionSpec fixes how repo finds and pushes referrers, per --distribution-spec.
func (o Options) applyDistributionSpec(repo *remote.Repository) error {
	switch o.DistributionSpec {
	case SpecReferrersAPI:
		return repo.SetReferrersCapability(true)
	case SpecReferrersTag:
		return repo.SetReferrersCapability(false)
	}
	return nil
}

// Parse parses a reference argument: with --oci-layout-path it is a tag or digest (any
// string: ORAS takes it whole) in that layout; else a layout reference when layout
// (--oci-layout) is set, a remote one otherwise. It refuses --oci-layout-path with
// --oci-layout, and custom headers with --oci-layout, as ORAS does.
func (o *Options) Parse(s string, layout bool) (Ref, error) {
	if o.LayoutPath != "" {
		if layout {
			return Ref{}, fmt.Errorf("--%soci-layout-path, --%soci-layout cannot be used at the same time", o.prefix, o.prefix)
		}
		return Ref{Layout: true, Path: o.LayoutPath, Reference: s, InPath: true}, nil
	}
	if layout && len(o.Headers) > 0 {
		return Ref{}, fmt.Errorf("custom header flags cannot be used on an OCI image layout target")
	}
	return Parse(s, layout)
}

// SplitTags is SplitTags for a destination argument; with --oci-layout-path the whole
// argument is the list "tag1,tag2,…".
func (o *Options) SplitTags(s string) (string, []string) {
	if o.LayoutPath == "" {
		return SplitTags(s)
	}
	tags := strings.Split(s, ",")
	return tags[0], tags[1:]
}

// specValue is a --distribution-spec value, checked when set.
type specValue string

func (v *specValue) Set(s string) error {
	if s != SpecReferrersAPI && s != SpecReferrersTag {
		return fmt.Errorf("unknown distribution specification flag: %s (available options: %s, %s)", s, SpecReferrersTag, SpecReferrersAPI)
	}
	*v = specValue(s)
	return nil
}
func (v *specValue) String() string { return string(*v) }
func (v *specValue) Type() string   { return "string" }

// multiBool is a boolean flag that sets several variables (cp's --debug for both sides).
type multiBool struct {
	to  []*bool
	val bool
}

func (b *multiBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.val = v
	for _, p := range b.to {
		*p = v
	}
	return nil
}
func (b *multiBool) String() string   { return strconv.FormatBool(b.val) }
func (b *multiBool) Type() string     { return "bool" }
func (b *multiBool) IsBoolFlag() bool { return true }

// multiArray is a repeatable string flag appending to several lists (cp's --resolve).
type multiArray struct {
	to   []*[]string
	vals []string
}

func (a *multiArray) Set(s string) error {
	a.vals = append(a.vals, s)
	for _, p := range a.to {
		*p = append(*p, s)
	}
	return nil
}
func (a *multiArray) String() string {
	if len(a.vals) == 0 {
		return "" // no "(default [])" in help
	}
	return "[" + strings.Join(a.vals, ",") + "]"
}
func (a *multiArray) Type() string { return "stringArray" }
