package cli

import (
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// The verbs against the project's own registry handler.
func TestVerbsOnRegistryHandler(t *testing.T) {
	host := verbsRegistry(t, nil)
	repo := host + "/eo/products"
	blob := []byte("band four")
	mpath, raw := verbsSeed(t, nil, repo, blob)
	dg := digest.FromBytes(raw)

	out := verbsMust(t, "", "manifest", "push", repo+":v2,v1", mpath)
	if !strings.Contains(out, "Pushed: [registry] "+repo+":v2\n") || !strings.Contains(out, "Tagged v1\n") {
		t.Errorf("manifest push:\n%s", out)
	}
	if got := verbsMust(t, "", "manifest", "fetch", repo+":v1"); got != string(raw) {
		t.Errorf("manifest fetch = %q", got)
	}
	if got := verbsMust(t, "", "manifest", "fetch", "--descriptor", repo+":v1"); got != `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"`+dg.String()+`","size":`+strconv.Itoa(len(raw))+`}` {
		t.Errorf("manifest fetch --descriptor = %s", got)
	}
	verbsMust(t, "", "tag", repo+"@"+dg.String(), "latest")
	if got := verbsMust(t, "", "repo", "tags", repo); got != "latest\nv1\nv2\n" {
		t.Errorf("repo tags = %q", got)
	}
	if got := verbsMust(t, "", "repo", "tags", "--last", "v1", repo); got != "v2\n" {
		t.Errorf("repo tags --last = %q", got)
	}
	if got := verbsMust(t, "", "repo", "tags", "--format", "json", repo); got != "{\n  \"tags\": [\n    \"latest\",\n    \"v1\",\n    \"v2\"\n  ]\n}\n" {
		t.Errorf("repo tags --format json = %q", got)
	}
	verbsSeed(t, nil, host+"/eo/other", []byte("x"))
	verbsSeed(t, nil, host+"/zz/last", []byte("y"))
	if got := verbsMust(t, "", "repo", "ls", host); got != "eo/other\neo/products\nzz/last\n" {
		t.Errorf("repo ls = %q", got)
	}
	if got := verbsMust(t, "", "repo", "ls", "--last", "eo/other", host); got != "eo/products\nzz/last\n" {
		t.Errorf("repo ls --last = %q", got)
	}
	if got := verbsMust(t, "", "repo", "ls", host+"/eo"); got != "other\nproducts\n" {
		t.Errorf("repo ls of a namespace = %q", got)
	}
	if got := verbsMust(t, "", "resolve", repo+":latest"); got != dg.String()+"\n" {
		t.Errorf("resolve = %q", got)
	}
	bref := repo + "@" + digest.FromBytes(blob).String()
	if got := verbsMust(t, "", "blob", "fetch", "-o", "-", bref); got != string(blob) {
		t.Errorf("blob fetch = %q", got)
	}
	verbsFail(t, 1, "", []string{"resolve", repo + ":nope"}, repo+":nope", "not found")

	verbsMust(t, "", "manifest", "delete", "--force", repo+":v1")
	verbsFail(t, 1, "", []string{"resolve", repo + ":v2"}, "not found")
	if out := verbsMust(t, "", "blob", "delete", "-f", bref); out != "Deleted [registry] "+bref+"\n" {
		t.Errorf("blob delete = %q", out)
	}
	verbsFail(t, 1, "", []string{"blob", "fetch", "--descriptor", bref}, "not found")
}
