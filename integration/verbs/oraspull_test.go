package verbs

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// pullBoth pulls with oras then eopack into the same folder (emptied in between) and
// requires the same stdout (args should hold --format json) and the same files.
func pullBoth(t *testing.T, e *cmdEnv, out string, args ...string) {
	t.Helper()
	eopack, oras := peers(t)
	args = append(args, "-o", out)
	want := e.must(t, oras, args...)
	wantTree := treeOf(t, filepath.Join(e.dir, out))
	os.RemoveAll(filepath.Join(e.dir, out))
	got := e.must(t, eopack, args...)
	if got != want {
		t.Errorf("eopack %s:\n%s\noras printed:\n%s", strings.Join(args, " "), got, want)
	}
	if gotTree := treeOf(t, filepath.Join(e.dir, out)); gotTree != wantTree {
		t.Errorf("eopack %s wrote:\n%s\noras wrote:\n%s", strings.Join(args, " "), gotTree, wantTree)
	}
}

// treeOf lists the files under dir with their contents, one per line, sorted by path.
func treeOf(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		lines = append(lines, rel+" = "+string(b))
		return nil
	})
	return strings.Join(lines, "\n")
}

// pull --include-subject, --config and -T write what ORAS writes and print what it prints.
func TestPullFlagsMatchOras(t *testing.T) {
	_, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/products"
	p := "--plain-http"
	e.write(t, "B04.tif", randomBytes(t, 200_000))
	e.write(t, "sig.json", []byte(`{"signed":true}`))
	e.write(t, "counter.json", []byte(`{"counter":true}`))
	e.write(t, "cfg.json", []byte(`{"architecture":"arm64","os":"linux"}`))
	e.must(t, oras, "push", p, repo+":v1", "B04.tif", "--config", "cfg.json:application/vnd.oci.image.config.v1+json", "-a", created)
	sig := e.must(t, oras, "attach", p, "--artifact-type", "application/vnd.sig", repo+":v1", "sig.json", "-a", created, "--format", "go-template={{.digest}}")
	counter := e.must(t, oras, "attach", p, "--artifact-type", "application/vnd.counter", repo+"@"+sig, "counter.json", "-a", created, "--format", "go-template={{.digest}}")

	pullBoth(t, e, "sub", "pull", p, "--include-subject", repo+"@"+counter, "--format", "json")
	pullBoth(t, e, "nosub", "pull", p, repo+"@"+counter, "--format", "json")
	pullBoth(t, e, "cfg", "pull", p, repo+":v1", "--config", "meta/config.json", "--format", "json")
	pullBoth(t, e, "cfg-typed", "pull", p, repo+":v1", "--config", "c.json:application/vnd.oci.image.config.v1+json", "--format", "json")
	pullBoth(t, e, "cfg-other", "pull", p, repo+":v1", "--config", "c.json:application/x-other", "--format", "json")
	pullBoth(t, e, "cfg-sub", "pull", p, "--include-subject", repo+"@"+sig, "--config", "c.json", "--format", "json")

	// a title climbing out of the output folder: refused without -T, written with it
	e.write(t, "in/up.txt", []byte("up"))
	work := *e // pushed from work/, the file is titled ../in/up.txt
	work.dir = filepath.Join(e.dir, "work")
	os.MkdirAll(work.dir, 0o755)
	work.must(t, oras, "push", p, repo+":up", "../in/up.txt", "-a", created)
	e.fails(t, "", oras, []string{"pull", p, repo + ":up", "-o", "deep/out"}, "--allow-path-traversal")
	eopack, _ := peers(t)
	e.fails(t, "", eopack, []string{"pull", p, repo + ":up", "-o", "deep/out"}, "--allow-path-traversal")
	want := e.must(t, oras, "pull", p, repo+":up", "-o", "deep/out", "-T", "--format", "json")
	if b := mustRead(t, e, "deep/in/up.txt"); string(b) != "up" {
		t.Fatalf("oras -T wrote %q", b)
	}
	os.RemoveAll(filepath.Join(e.dir, "deep"))
	if got := e.must(t, eopack, "pull", p, repo+":up", "-o", "deep/out", "-T", "--format", "json"); got != want {
		t.Errorf("pull -T:\n%s\noras:\n%s", got, want)
	}
	if b := mustRead(t, e, "deep/in/up.txt"); string(b) != "up" {
		t.Errorf("eopack -T wrote %q", b)
	}
}

// --platform with an OS alone means the machine's architecture, as ORAS; cp takes several
// platforms and writes the same cut index ORAS writes; discover and attach take --platform.
func TestPlatformFlagsMatchOras(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	repo := reg.Host() + "/eo/multi"
	p := "--plain-http"
	e.write(t, "B04.tif", randomBytes(t, 1000))
	var children []string
	for _, a := range []string{"amd64", "arm64", "s390x"} {
		e.write(t, a+".json", []byte(`{"architecture":"`+a+`","os":"linux"}`))
		e.must(t, oras, "push", p, "--config", a+".json:application/vnd.oci.image.config.v1+json", repo+":"+a, "B04.tif", "-a", created)
		children = append(children, a)
	}
	e.must(t, oras, append([]string{"manifest", "index", "create", p, repo + ":v1", "-a", "k=v"}, children...)...)
	e.must(t, oras, "attach", p, "--artifact-type", "application/vnd.sig", repo+":arm64", "B04.tif", "-a", created)

	host := runtime.GOARCH
	if host != "amd64" && host != "arm64" && host != "s390x" {
		t.Skipf("the index has no manifest for linux/%s", host)
	}
	sameOutput(t, e, eopack, oras, []string{p}, "resolve", "--platform", "linux", repo+":v1")
	sameOutput(t, e, eopack, oras, []string{p}, "manifest", "fetch", "--platform", "linux", repo+":v1")
	sameOutput(t, e, eopack, oras, []string{p}, "manifest", "fetch-config", "--platform", "linux", repo+":v1")
	sameOutput(t, e, eopack, oras, []string{p}, "discover", "--format", "json", "--platform", "linux/arm64", repo+":v1")
	pullBoth(t, e, "plat", "pull", p, "--platform", "linux", repo+":v1", "--format", "json")

	for i, plats := range [][]string{{"linux/arm64"}, {"linux/s390x,linux/arm64"}, {"linux/amd64", "linux/arm64", "linux/s390x"}, {"linux"}} {
		args := []string{"cp", "--from-plain-http", "--to-plain-http"}
		for _, pl := range plats {
			args = append(args, "--platform", pl)
		}
		n := string(rune('a' + i))
		want := e.must(t, oras, append(args, repo+":v1", reg.Host()+"/o/"+n+":v1")...)
		got := e.must(t, eopack, append(args, repo+":v1", reg.Host()+"/e/"+n+":v1")...)
		wantDigest, gotDigest := lastLines(want, 1), lastLines(got, 1)
		if gotDigest != wantDigest {
			t.Errorf("cp --platform %v: eopack %s, oras %s", plats, gotDigest, wantDigest)
		}
		sameOutput(t, e, eopack, oras, []string{p}, "manifest", "fetch", reg.Host()+"/e/"+n+":v1")
	}
	e.fails(t, "", oras, []string{"cp", "--from-plain-http", "--to-plain-http", "--platform", "linux/arm64,linux/ppc64le", repo + ":v1", reg.Host() + "/o/x:v1"}, "unmatched platforms: [linux/ppc64le]")
	e.fails(t, "", eopack, []string{"cp", "--from-plain-http", "--to-plain-http", "--platform", "linux/arm64,linux/ppc64le", repo + ":v1", reg.Host() + "/e/x:v1"}, "unmatched platforms: [linux/ppc64le]", "available platforms in index: [linux/amd64, linux/arm64, linux/s390x]")
	e.fails(t, "", eopack, []string{"cp", "--from-plain-http", "--to-plain-http", "--platform", "linux/arm64,linux/amd64", repo + ":arm64", reg.Host() + "/e/x:v1"}, "is not an image index")

	// attach --platform attaches to the platform's manifest
	e.must(t, eopack, "attach", p, "--platform", "linux/s390x", "--artifact-type", "application/vnd.qa", repo+":v1", "B04.tif")
	if got := e.must(t, oras, "discover", p, "--format", "go-template={{range .referrers}}{{.artifactType}}{{end}}", repo+":s390x"); got != "application/vnd.qa" {
		t.Errorf("attach --platform linux/s390x: referrers of the s390x manifest %q", got)
	}
	e.fails(t, "", eopack, []string{"attach", p, "--platform", "linux", "--config", "amd64.json", "--artifact-type", "a/b", repo + ":v1", "B04.tif"}, "--config, --platform")
}

// push --image-spec, --artifact-platform and --disable-path-validation build the manifests
// ORAS builds, byte for byte (creation time fixed with -a).
func TestPushFlagsMatchOras(t *testing.T) {
	eopack, oras := peers(t)
	reg := testpeer.StartDistribution(t)
	e := newEnv(t)
	p := "--plain-http"
	e.write(t, "a.txt", []byte("hello\n"))
	e.write(t, "cfg.json", []byte(`{"k":"v"}`))
	abs := filepath.Join(e.dir, "a.txt")
	cases := map[string][]string{
		"v10":         {"--image-spec", "v1.0", "a.txt"},
		"v10-type":    {"--image-spec", "v1.0", "--artifact-type", "application/vnd.x"},
		"v10-config":  {"--image-spec", "v1.0", "--config", "cfg.json:application/vnd.x.config", "a.txt"},
		"auto-v10":    {"--config", "cfg.json", "a.txt"},
		"v11-typed":   {"--image-spec", "v1.1", "--config", "cfg.json", "--artifact-type", "application/vnd.x", "a.txt"},
		"platform":    {"--artifact-platform", "linux/arm64/v8", "a.txt"},
		"platform-os": {"--artifact-platform", "linux", "--artifact-type", "application/vnd.x"},
		"platform-10": {"--image-spec", "v1.0", "--artifact-platform", "linux/amd64", "a.txt"},
		"absolute":    {"--disable-path-validation", abs},
	}
	for name, args := range cases {
		run := func(bin, ns string) string {
			return e.must(t, bin, append([]string{"push", p, reg.Host() + "/" + ns + "/x:" + name, "-a", created}, args...)...)
		}
		want, got := run(oras, "o"), run(eopack, "e")
		if lastLines(got, 2) != lastLines(want, 2) {
			t.Errorf("push %v prints %q, oras %q", args, lastLines(got, 2), lastLines(want, 2))
		}
		sameOutput(t, e, eopack, oras, []string{p}, "manifest", "fetch", reg.Host()+"/e/x:"+name)
		if a, b := e.must(t, oras, "manifest", "fetch", p, reg.Host()+"/e/x:"+name), e.must(t, oras, "manifest", "fetch", p, reg.Host()+"/o/x:"+name); a != b {
			t.Errorf("push %v: eopack's manifest\n%s\noras's\n%s", args, a, b)
		}
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--image-spec", "v1.1", "--config", "cfg.json", "a.txt"}, "missing artifact type"},
		{[]string{"--image-spec", "v1.0", "--config", "cfg.json", "--artifact-type", "a/b"}, "--artifact-type and --config cannot both be provided"},
		{[]string{"--config", "cfg.json", "--artifact-platform", "linux"}, "--config, --artifact-platform cannot be used at the same time"},
		{[]string{"--image-spec", "v1.0", "--artifact-platform", "linux", "--artifact-type", "a/b"}, "artifact type cannot be customized"},
		{[]string{"--image-spec", "v1.2"}, "unknown image specification flag: v1.2"},
		{[]string{abs}, "--disable-path-validation"},
	} {
		args := append([]string{"push", p, reg.Host() + "/f/x:v1"}, c.args...)
		e.fails(t, "", oras, args, c.msg)
		e.fails(t, "", eopack, args, c.msg)
	}
}
