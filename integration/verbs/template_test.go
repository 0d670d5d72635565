package verbs

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// created fixes the creation annotation so that ORAS and eopack push byte-identical manifests.
const created = "org.opencontainers.image.created=2020-01-01T00:00:00Z"

// Templates over each verb's model, touching every field ORAS's model has (numbers are JSON
// numbers: float64 in the template) and a few of the Sprig functions.
const (
	tplDescriptor = `{{.reference}}|{{.mediaType}}|{{.digest}}|{{.size}}|{{.artifactType}}|{{toJson .annotations}}|{{.nope}}`
	tplPush       = tplDescriptor + `|{{.referenceAsTags}}|{{join "," .referenceAsTags}}`
	tplPull       = `{{.reference}}{{range .files}}|{{.path}} {{.reference}} {{.mediaType}} {{.size}} {{index .annotations "org.opencontainers.image.title"}}{{end}}`
	tplDiscover   = tplDescriptor + `{{range .referrers}}|{{.reference}} {{.artifactType}} {{.size}} {{len .referrers}}{{end}}`
	tplFetch      = tplDescriptor + `|{{.content.schemaVersion}} {{.content.config.mediaType}}{{range .content.layers}} {{.size}}:{{.annotations | toJson}}{{end}}`
	tplRepos      = `{{.registry}} {{range .repositories}}{{.}},{{end}} {{len .repositories}}`
	tplTags       = `{{join "," .tags}} {{toPrettyJson .}}` + "\n"
)

// formats are the --format forms compared for a verb: json and go-template=TEMPLATE.
func formats(tpl string) [][]string {
	return [][]string{{"--format", "json"}, {"--format", "go-template=" + tpl}}
}

// allFormats adds the template given with --template.
func allFormats(tpl string) [][]string {
	return append(formats(tpl), []string{"--format", "go-template", "--template", tpl})
}

// with is args followed by the target flags (oras wants its verb first).
func with(flags []string, args ...string) []string { return append(args, flags...) }

// same runs args (then each format) with oras and then eopack and requires identical stdout.
func same(t *testing.T, e *cmdEnv, args []string, fmts [][]string) {
	t.Helper()
	eopack, oras := peers(t)
	for _, f := range fmts {
		sameOutput(t, e, eopack, oras, nil, append(append([]string{}, args...), f...)...)
	}
}

// --format json and go-template print ORAS's models byte for byte on the distribution
// registry: each verb runs with oras first, then with eopack on the same artifact (same
// repository, tags and output folder, so paths and references are the same).
func TestFormatsMatchOrasOnRegistry(t *testing.T) {
	_, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/products"
	e.write(t, "a.txt", []byte("hello\n"))
	e.write(t, "b.json", []byte(`{"<html>":"&"}`))
	e.write(t, "folder/x.txt", []byte("x"))
	p := []string{"--plain-http"}

	same(t, e, with(p, "push", repo+":v2,v1", "a.txt", "b.json:application/json", "-a", "k=v", "-a", created), allFormats(tplPush))
	same(t, e, with(p, "push", repo+":v3", "a.txt", "-a", created, "--artifact-type", "application/vnd.x"), formats(tplPush))
	same(t, e, with(p, "attach", "--artifact-type", "application/vnd.qa", repo+":v1", "a.txt", "-a", created), allFormats(tplDescriptor))
	same(t, e, with(p, "attach", "--artifact-type", "application/vnd.sig", repo+":v1", "-a", created, "-a", "s=1"), formats(tplDescriptor))
	same(t, e, with(p, "pull", repo+":v1", "-o", "out"), allFormats(tplPull))
	// a folder is pushed by oras only (its tar is oras's); its path ends with a separator
	e.must(t, oras, with(p, "push", repo+":dir", "folder", "-a", created)...)
	same(t, e, with(p, "pull", repo+":dir", "-o", "out-dir"), formats(tplPull))
	same(t, e, with(p, "discover", repo+":v1"), allFormats(tplDiscover))
	same(t, e, with(p, "discover", "--artifact-type", "application/vnd.sig", repo+":v1"), formats(tplDiscover))
	same(t, e, with(p, "manifest", "fetch", repo+":v1"), allFormats(tplFetch))
	same(t, e, with(p, "manifest", "fetch", "--output", "m.json", repo+":v3"), formats(tplFetch))
	e.must(t, oras, with(p, "push", reg.Host()+"/other/x:v1", "a.txt", "-a", created)...)
	same(t, e, with(p, "repo", "ls", reg.Host()), allFormats(tplRepos))
	same(t, e, with(p, "repo", "ls", reg.Host()+"/eo"), formats(tplRepos)) // full names, unlike text
	same(t, e, with(p, "repo", "tags", repo), allFormats(tplTags))
	same(t, e, with(p, "repo", "tags", reg.Host()+"/other/x"), formats(tplTags))
}

// The same on an OCI image layout, which both tools write in turn.
func TestFormatsMatchOrasOnLayout(t *testing.T) {
	_, oras := peers(t)
	e := newEnv(t)
	e.write(t, "a.txt", []byte("hello\n"))
	e.write(t, "b.txt", []byte("second"))
	l := []string{"--oci-layout"}

	same(t, e, with(l, "push", "lay:v1,v0", "a.txt", "b.txt:text/plain", "-a", created), formats(tplPush))
	root := strings.TrimSpace(e.must(t, oras, "resolve", "--oci-layout", "lay:v1"))
	// by digest: ORAS copies the tag's ref.name annotation into the subject when attaching by tag
	same(t, e, with(l, "attach", "--artifact-type", "application/vnd.qa", "lay@"+root, "a.txt", "-a", created), formats(tplDescriptor))
	same(t, e, with(l, "pull", "lay:v1", "-o", "out"), formats(tplPull))
	same(t, e, with(l, "discover", "lay:v1"), formats(tplDiscover))
	same(t, e, with(l, "manifest", "fetch", "lay:v1"), formats(tplFetch))
	same(t, e, with(l, "repo", "tags", "lay"), formats(tplTags))
	abs := filepath.Join(e.dir, "abs")
	same(t, e, with(l, "push", abs+":v1", "a.txt", "-a", created), formats(tplPush))
}

// Wrong --format and --template combinations fail as in ORAS, eopack's on one line; a template
// that fails to parse fails before anything is pushed.
func TestFormatErrorsLikeOras(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/errs"
	e.write(t, "a.txt", []byte("a"))
	e.must(t, oras, "push", "--plain-http", repo+":v1", "a.txt")
	tags := []string{"repo", "tags", "--plain-http", repo}
	for _, c := range []struct {
		flags []string
		msgs  []string
	}{
		{[]string{"--template", "{{.tags}}"}, []string{"--template must be used with --format go-template"}},
		{[]string{"--format", "json", "--template", "{{.tags}}"}, []string{"--template must be used with --format go-template"}},
		{[]string{"--format", "go-template"}, []string{`"go-template" format specified but no template given`, "--format go-template=TEMPLATE"}},
		{[]string{"--format", "go-template="}, []string{`"go-template" format specified but no template given`}},
		{[]string{"--format", "yaml"}, []string{`invalid format type: "yaml"`, "supported types: json, go-template, text"}},
		{[]string{"--format", "go-template={{.tags"}, []string{"template: format output:1: unclosed action"}},
		{[]string{"--format", "go-template={{.tags.x.y}}"}, []string{`executing "format output" at <.tags.x.y>: can't evaluate field x`}},
		{[]string{"--format", "go-template={{fail \"boom\"}}"}, []string{"error calling fail: boom"}},
	} {
		args := append(append([]string{}, tags...), c.flags...)
		e.fails(t, "", oras, args, c.msgs...)
		e.fails(t, "", eopack, args, c.msgs...)
	}
	e.fails(t, "", eopack, []string{"push", "--plain-http", reg.Host() + "/eo/never:v1", "a.txt", "--format", "go-template={{.digest"}, "unclosed action")
	if r := e.run("", oras, "repo", "ls", "--plain-http", reg.Host()); strings.Contains(r.stdout, "eo/never") {
		t.Errorf("a push with a broken template reached the registry: %s", r.stdout)
	}
}

// cp has no --format in ORAS; eopack's prints push's model of the copied root.
func TestCopyFormats(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	e.write(t, "a.txt", []byte("a"))
	src, dst := reg.Host()+"/eo/src", reg.Host()+"/eo/dst"
	e.must(t, oras, "push", "--plain-http", src+":v1", "a.txt", "-a", created)
	dg := strings.TrimSpace(e.must(t, oras, "resolve", "--plain-http", src+":v1"))
	got := e.must(t, eopack, "cp", "--from-plain-http", "--to-plain-http", src+":v1", dst+":v2,v1", "--format", "go-template="+tplPush)
	// the copied root as resolved: no annotations or artifactType
	want := strings.Join([]string{dst + "@" + dg, "application/vnd.oci.image.manifest.v1+json", dg, "583",
		"<no value>", "null", "<no value>", "[" + dst + ":v1 " + dst + ":v2]", dst + ":v1," + dst + ":v2"}, "|")
	if got != want {
		t.Errorf("cp --format go-template:\n%q\nwant\n%q", got, want)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(e.must(t, eopack, "cp", "--from-plain-http", "--to-plain-http", src+":v1", dst+":v3", "--format", "json")), &m); err != nil || m["digest"] != dg || len(m) != 5 {
		t.Errorf("cp --format json: %v %v", m, err)
	}
}
