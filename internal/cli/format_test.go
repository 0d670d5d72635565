package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"
)

// newFormat declares --format/--template on a fresh flag set and parses args.
func newFormat(t *testing.T, args []string, def string, others ...string) (*formatFlags, error) {
	t.Helper()
	var f formatFlags
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	f.addFlags(fs, def, others...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &f, f.parse(&bytes.Buffer{})
}

func TestFormatParse(t *testing.T) {
	std := []string{formatJSON, formatGoTemplate}
	for _, c := range []struct {
		args           []string
		typ, tpl, fail string
	}{
		{nil, formatText, "", ""},
		{[]string{"--format", "json"}, formatJSON, "", ""},
		{[]string{"--format", "text"}, formatText, "", ""},
		{[]string{"--format", "go-template={{.digest}}"}, formatGoTemplate, "{{.digest}}", ""},
		{[]string{"--format", "go-template={{.a}}={{.b}}"}, formatGoTemplate, "{{.a}}={{.b}}", ""},
		{[]string{"--format", "go-template", "--template", "{{.digest}}"}, formatGoTemplate, "{{.digest}}", ""},
		{[]string{"--template", "{{.digest}}"}, "", "", "--template must be used with --format go-template"},
		{[]string{"--format", "json", "--template", "x"}, "", "", "--template must be used with --format go-template"},
		{[]string{"--format", "go-template=x", "--template", "y"}, "", "", "--template must be used with --format go-template"},
		{[]string{"--format", "go-template"}, "", "", `"go-template" format specified but no template given`},
		{[]string{"--format", "go-template="}, "", "", `"go-template" format specified but no template given`},
		{[]string{"--format", "yaml"}, "", "", `invalid format type: "yaml": supported types: json, go-template, text`},
		{[]string{"--format", "tree"}, "", "", `invalid format type: "tree"`},
		{[]string{"--format", "go-template={{.x"}, "", "", "template: format output:1: unclosed action"},
		{[]string{"--format", "go-template={{nosuch .x}}"}, "", "", `function "nosuch" not defined`},
	} {
		f, err := newFormat(t, c.args, formatText, std...)
		if c.fail != "" {
			var ue usageError
			if err == nil || !strings.Contains(err.Error(), c.fail) || !errors.As(err, &ue) {
				t.Errorf("%q: err %v, want usage error with %q", c.args, err, c.fail)
			}
			continue
		}
		if err != nil || f.Type != c.typ || f.Template != c.tpl {
			t.Errorf("%q: %q %q %v, want %q %q", c.args, f.Type, f.Template, err, c.typ, c.tpl)
		}
		if want := c.typ != formatText; f.structured() != want {
			t.Errorf("%q: structured %v", c.args, f.structured())
		}
	}
}

// discover's types: tree by default, table deprecated with a note on stderr, no text.
func TestFormatDiscoverTypes(t *testing.T) {
	var f formatFlags
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	f.addFlags(fs, formatTree, formatTable, formatJSON, formatGoTemplate)
	usage := fs.Lookup("format").Usage
	for _, typ := range []string{"'table':", "'json':", "'go-template':", "'tree':"} {
		if !strings.Contains(usage, typ) {
			t.Errorf("--format help lacks %s: %q", typ, usage)
		}
	}
	_ = fs.Parse([]string{"--format", "table"})
	var stderr bytes.Buffer
	if err := f.parse(&stderr); err != nil || f.Type != formatTable || f.structured() {
		t.Errorf("table: %v %q", err, f.Type)
	}
	if !strings.Contains(stderr.String(), `Format "table" is deprecated`) {
		t.Errorf("table: stderr %q", stderr.String())
	}
	if _, err := newFormat(t, []string{"--format", "text"}, formatTree, formatTable, formatJSON, formatGoTemplate); err == nil ||
		!strings.Contains(err.Error(), "supported types: table, json, go-template, tree") {
		t.Errorf("discover --format text: %v", err)
	}
}

func testDescriptor() ocispec.Descriptor {
	return ocispec.Descriptor{
		MediaType:    ocispec.MediaTypeImageManifest,
		Digest:       digest.FromString("m"),
		Size:         12345678,
		Annotations:  map[string]string{"k": "<&>"},
		ArtifactType: "application/vnd.x",
		URLs:         []string{"https://not.in.the.model"},
		Platform:     &ocispec.Platform{OS: "linux"},
	}
}

// json is the model indented, with a newline; only ORAS's descriptor fields, tags sorted.
func TestFormatWriteJSON(t *testing.T) {
	f, _ := newFormat(t, []string{"--format", "json"}, formatText, formatJSON, formatGoTemplate)
	var b bytes.Buffer
	d := testDescriptor()
	if err := f.write(&b, newPushModel("reg/repo", d, []string{"v2", "v1"})); err != nil {
		t.Fatal(err)
	}
	want := `{
  "reference": "reg/repo@` + d.Digest.String() + `",
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "digest": "` + d.Digest.String() + `",
  "size": 12345678,
  "annotations": {
    "k": "\u003c\u0026\u003e"
  },
  "artifactType": "application/vnd.x",
  "referenceAsTags": [
    "reg/repo:v1",
    "reg/repo:v2"
  ]
}
`
	if b.String() != want {
		t.Errorf("json:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	_ = f.write(&b, newPushModel("reg/repo", d, nil))
	if !strings.Contains(b.String(), `"referenceAsTags": null`) {
		t.Errorf("no tags: %s", b.String())
	}
}

// The template sees the JSON model: JSON names, float64 numbers, <no value> for a missing key.
func TestFormatWriteTemplate(t *testing.T) {
	d := testDescriptor()
	m := newDiscoverNode("reg/repo", d)
	m.Referrers = append(m.Referrers, newDiscoverNode("reg/repo", ocispec.Descriptor{Digest: digest.FromString("r"), Size: 3, ArtifactType: "a/b"}))
	for _, c := range []struct{ tpl, want string }{
		{`{{.digest}}`, d.Digest.String()},
		{`{{.size}}`, "1.2345678e+07"},
		{`{{.nope}}`, "<no value>"},
		{`{{.annotations.k}}`, "<&>"},
		{`{{.urls}}{{.platform}}`, "<no value><no value>"},
		{`{{range .referrers}}{{.artifactType}} {{.size}} {{len .referrers}}{{end}}`, "a/b 3 0"},
		{`{{toJson .annotations}}`, `{"k":"\u003c\u0026\u003e"}`},
		{`{{toRawJson .annotations}}`, `{"k":"<&>"}`},
		{`{{toPrettyJson .annotations}}`, "{\n  \"k\": \"\\u003c\\u0026\\u003e\"\n}"},
		{`{{(first .referrers).artifactType}} {{(last .referrers).size}}`, "a/b 3"},
		{`{{.artifactType | trimPrefix "application/" | upper}}`, "VND.X"},
		{`{{.missing | default "none"}} {{empty .referrers}} {{empty .nope}}`, "none false true"},
		{`{{keys .annotations | join ","}} {{hasKey .annotations "k"}} {{get .annotations "z" | quote}}`, `k true ""`},
		{`{{add .size 2}} {{sub .size 8}} {{div .size 2}} {{max 1 .size}}`, "12345680 12345670 6172839 12345678"},
		{`{{splitList "/" .artifactType | last}} {{base "a/b.tif"}} {{ext "a/b.tif"}}`, "vnd.x b.tif .tif"},
		{`{{list "b" "a" "b" | uniq | sortAlpha | join "+"}} {{has "a" (list "a")}}`, "a+b true"},
		{`{{dict "x" 1 | toJson}} {{ternary "y" "n" true}} {{coalesce .nope "" "c"}}`, `{"x":1} y c`},
		{`{{b64enc "hi" | b64dec}} {{trunc 3 "abcdef"}} {{repeat 2 "ab"}} {{indent 2 "a\nb"}}`, "hi abc abab   a\n  b"},
	} {
		f, err := newFormat(t, []string{"--format", "go-template=" + c.tpl}, formatTree, formatJSON, formatGoTemplate)
		if err != nil {
			t.Errorf("%s: %v", c.tpl, err)
			continue
		}
		var b bytes.Buffer
		if err := f.write(&b, m); err != nil || b.String() != c.want {
			t.Errorf("%s = %q, %v; want %q", c.tpl, b.String(), err, c.want)
		}
	}
}

// A template that fails while executing writes nothing and says where it failed.
func TestFormatWriteTemplateError(t *testing.T) {
	for tpl, msg := range map[string]string{
		`partial {{.tags.x.y}}`:    `executing "format output" at <.tags.x.y>: can't evaluate field x`,
		`partial {{fail "boom"}}`:  "error calling fail: boom",
		`partial {{first .tags}}`:  "error calling first: Cannot find first on type string",
		`partial {{upper .count}}`: "wrong type for value; expected string; got float64",
	} {
		f, err := newFormat(t, []string{"--format", "go-template=" + tpl}, formatText, formatJSON, formatGoTemplate)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		err = f.write(&b, map[string]any{"tags": "v1", "count": 2})
		if err == nil || !strings.Contains(err.Error(), msg) || b.Len() != 0 {
			t.Errorf("%s: %q, %v; want nothing and %q", tpl, b.String(), err, msg)
		}
	}
}
