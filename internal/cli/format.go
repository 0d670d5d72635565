package cli

// --format and --template, as ORAS v1.3.6 has them on push, pull, attach, discover, manifest
// fetch, repo ls and repo tags (and eopack's cp): "json" prints the verb's data model as
// indented JSON; "go-template" executes a text/template over the same model, decoded from that
// JSON (so numbers are float64 and keys are the JSON names: {{.digest}}, {{.size}},
// {{range .files}}{{.path}}{{end}}), with the functions of format_funcs.go. The template is
// given as --format go-template=TEMPLATE or as --format go-template --template TEMPLATE.
//
// The models below are ORAS's: a descriptor is "reference" (<path>@<digest>) followed by
// mediaType, digest, size, annotations and artifactType, nothing else.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/Masterminds/sprig/v3"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"text/template"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"
)

// Format types.
const (
	formatText       = "text"
	formatJSON       = "json"
	formatGoTemplate = "go-template"
	formatTree       = "tree"  // discover's default
	formatTable      = "table" // discover, deprecated in ORAS
)

var formatUsage = map[string]string{
	formatText:       "print in text format",
	formatJSON:       "print in JSON format",
	formatGoTemplate: "print using the given Go template (go-template=TEMPLATE, or with --template)",
	formatTree:       "print referrers as a tree",
	formatTable:      "[deprecated] print referrers as a table",
}

// formatFlags are one verb's --format and --template. After parse, Type is the format type and
// Template the template (go-template only).
type formatFlags struct {
	Type     string
	Template string
	flag     string
	template string
	types    []string // allowed types, the default last (ORAS's order in help and errors)
	tmpl     *template.Template
}

// addFlags adds --format (default def, also allowing others) and --template to fs.
func (f *formatFlags) addFlags(fs *pflag.FlagSet, def string, others ...string) {
	f.flag, f.Type = def, def
	f.types = append(slices.Clone(others), def)
	var b bytes.Buffer
	b.WriteString("output format:")
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, t := range f.types {
		fmt.Fprintf(w, "\n'%s':\t%s", t, formatUsage[t])
	}
	w.Flush()
	fs.StringVar(&f.flag, "format", def, b.String())
	fs.StringVar(&f.template, "template", "", "Go template for --format go-template")
}

// parse checks --format and --template as ORAS does and parses the template, so that a
// template that does not parse fails before anything is transferred. The deprecation of
// "table" is printed to stderr.
func (f *formatFlags) parse(stderr io.Writer) error {
	if f.flag == formatTable && slices.Contains(f.types, formatTable) {
		fmt.Fprint(stderr, "Format \"table\" is deprecated and will be removed in a future release.\n")
	}
	f.Type, f.Template = f.flag, f.template
	if f.template != "" {
		if f.flag != formatGoTemplate {
			return usagef("--template must be used with --format %s", formatGoTemplate)
		}
	} else if t, ok := strings.CutPrefix(f.flag, formatGoTemplate+"="); ok {
		f.Type, f.Template = formatGoTemplate, t
	}
	if !slices.Contains(f.types, f.Type) {
		return usagef("invalid format type: %q: supported types: %s", f.Type, strings.Join(f.types, ", "))
	}
	if f.Type != formatGoTemplate {
		return nil
	}
	if f.Template == "" {
		return usagef("%q format specified but no template given: use `--format %s=TEMPLATE` to specify the template", formatGoTemplate, formatGoTemplate)
	}
	t, err := template.New("format output").Funcs(sprig.TxtFuncMap()).Parse(f.Template)
	if err != nil {
		return usageError{err}
	}
	f.tmpl = t
	return nil
}

// structured reports whether the output is the model (json or go-template): the verb's
// status lines are then not printed.
func (f *formatFlags) structured() bool {
	return f.Type == formatJSON || f.Type == formatGoTemplate
}

// write prints model in the parsed format: indented JSON and a newline, or the template's
// output as it is (nothing is written when the template fails).
func (f *formatFlags) write(w io.Writer, model any) error {
	if f.Type != formatGoTemplate {
		return writeJSON(w, model, true)
	}
	data, err := toMap(model)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := f.tmpl.Execute(&b, data); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// toMap is model as a template sees it: its JSON decoded into a map.
func toMap(model any) (map[string]any, error) {
	b, err := json.Marshal(model)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// descriptorModel is ORAS's descriptor with its digest reference.
type descriptorModel struct {
	Reference string `json:"reference"`
	ocispec.Descriptor
}

func newDescriptorModel(path string, d ocispec.Descriptor) descriptorModel {
	return descriptorModel{path + "@" + d.Digest.String(), descriptorOnly(d)}
}

// pushModel is the model of push (and cp): the manifest and its full tag references, sorted;
// null when there are none.
type pushModel struct {
	descriptorModel
	ReferenceAsTags []string `json:"referenceAsTags"`
}

func newPushModel(path string, d ocispec.Descriptor, tags []string) pushModel {
	var refs []string
	for _, t := range slices.Sorted(slices.Values(tags)) {
		refs = append(refs, path+":"+t)
	}
	return pushModel{newDescriptorModel(path, d), refs}
}

// pulledFile is one file of pull's model: its absolute path (with a trailing separator for an
// unpacked folder) and its layer.
type pulledFile struct {
	Path string `json:"path"`
	descriptorModel
}

// pullModel is the model of pull.
type pullModel struct {
	Reference string       `json:"reference"`
	Files     []pulledFile `json:"files"`
}

// discoverNode is the model of discover: an artifact and its referrers, recursively.
type discoverNode struct {
	descriptorModel
	Referrers []*discoverNode `json:"referrers"`
}

func newDiscoverNode(path string, d ocispec.Descriptor) *discoverNode {
	return &discoverNode{newDescriptorModel(path, d), []*discoverNode{}}
}

// repositoriesModel is the model of repo ls: full repository names, also under a namespace.
type repositoriesModel struct {
	Registry     string   `json:"registry"`
	Repositories []string `json:"repositories"`
}

// tagsModel is the model of repo tags.
type tagsModel struct {
	Tags []string `json:"tags"`
}
