package eo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// TestPushStacBadInputs: each bad item fails with one clear error line and pushes nothing.
func TestPushStacBadInputs(t *testing.T) {
	prod := makeProduct(t)
	reg := testpeer.StartDistribution(t)
	eopack := testpeer.Eopack(t)
	good, err := os.ReadFile(prod.Item())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, item, want string
	}{
		{"not-json", "{\"type\": \"Feature\",", "not JSON"},
		{"not-item", `{"type": "FeatureCollection", "features": []}`, "not a STAC Item"},
		{"escaping-href", strings.Replace(string(good), `"href": "B2.tif"`, `"href": "../../etc/passwd"`, 1), "escapes the item's folder"},
		{"missing-file", strings.Replace(string(good), `"href": "B2.tif"`, `"href": "B7.tif"`, 1), "B7.tif"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.item == string(good) {
				t.Fatal("test case did not change the item")
			}
			p := filepath.Join(prod.Dir, "bad-"+c.name+".json")
			if err := os.WriteFile(p, []byte(c.item), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := testpeer.RunErr(prod.Dir, eopack, "push", reg.Host()+"/eo/bad:v1", "--stac", filepath.Base(p))
			if err == nil || !oneLineError(out, c.want) {
				t.Fatalf("want one error line containing %q, got %v:\n%s", c.want, err, out)
			}
			if strings.Contains(out, "Upload") {
				t.Errorf("something was uploaded:\n%s", out)
			}
			if tl := tags(t, reg.Host(), "eo/bad"); len(tl) != 0 {
				t.Errorf("tags after failed push: %v", tl)
			}
		})
	}
	if code, body := testpeer.Get(t, "http://"+reg.Host()+"/v2/_catalog"); code != 200 || strings.Contains(string(body), "eo/bad") {
		t.Errorf("catalog after failed pushes: %d %s", code, body)
	}

	// A selective pull whose filter matches nothing names the assets and writes nothing.
	ref := reg.Host() + "/eo/good:v1"
	testpeer.Run(t, prod.Dir, eopack, "push", ref, "--stac", "item.json")
	out := filepath.Join(t.TempDir(), "out")
	msg, err := testpeer.RunErr("", eopack, "pull", ref, "--stac", "--band", "B9", "-o", out)
	if err == nil || !oneLineError(msg, "--band B9") || !strings.Contains(msg, "B1 (band B1") || !strings.Contains(msg, "dem (band dem") {
		t.Fatalf("want an error naming the existing assets, got %v:\n%s", err, msg)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(out)
		if len(entries) > 0 {
			t.Errorf("filter matching nothing wrote %d files", len(entries))
		}
	}
}
