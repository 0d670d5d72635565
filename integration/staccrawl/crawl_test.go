package staccrawl

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// summary finds the counts of the stac index summary line.
var summary = regexp.MustCompile(`(\d+) repositories, (\d+) manifests seen, (\d+) indexed, (\d+) unchanged \((\d+) retagged\), (\d+) removed, (\d+) not EO products, (\d+) failed \((\d+) blobs fetched\)`)

func counts(t *testing.T, out string) []string {
	t.Helper()
	m := summary.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line in %q", out)
	}
	return m[1:]
}

// blobGET is a blob download in a --debug log.
var blobGET = regexp.MustCompile(`> Request URL: "[^"]*/blobs/sha256:[0-9a-f]+"\n> Request method: "GET"`)

// blobGETs counts the blob downloads a --debug run logged.
func blobGETs(stderr string) int { return len(blobGET.FindAllString(stderr, -1)) }

func TestIndexServeSearchPull(t *testing.T) {
	landsat, dem := makeProducts(t)
	e := newEo(t)
	ca := testpeer.NewCA(t)
	tokens := anonymousPullTokens(t, ca, "eo-registry")
	reg := testpeer.StartDistributionTLS(t, testpeer.TLSOptions{TokenRealm: tokens.URL + "/token", TokenService: "eo-registry", TokenCA: ca})
	host := reg.Host()
	auth := []string{"-u", "eo", "-p", "secret"}

	e.must(append([]string{"push", host + "/eo/l7-olinda:v1", "--stac", filepath.Join(landsat.Dir, "item.json")}, auth...)...)
	e.must(append([]string{"push", host + "/eo/olinda-dem:2010", "--stac", filepath.Join(dem.Dir, "item.json")}, auth...)...)
	e.must(append([]string{"push", "--disable-path-validation", host + "/other/notes:v1", filepath.Join(dem.Dir, "item.json")}, auth...)...) // outside the namespace

	index := filepath.Join(t.TempDir(), "eo.stac.db")
	crawl := func() (string, int) {
		t.Helper()
		out, errOut, err := e.run(append([]string{"stac", "index", host + "/eo", "--index", index, "--debug"}, auth...)...)
		if err != nil {
			t.Fatalf("stac index: %v\n%s\n%s", err, out, errOut)
		}
		return out, blobGETs(errOut)
	}
	out, gets := crawl()
	if got := counts(t, out); !slices.Equal(got, []string{"2", "2", "2", "0", "0", "0", "0", "0", "2"}) || gets < 2 {
		t.Errorf("first crawl: %q, %d blob GETs", out, gets)
	}
	out, gets = crawl()
	if got := counts(t, out); !slices.Equal(got, []string{"2", "2", "0", "2", "0", "0", "0", "0", "0"}) || gets != 0 {
		t.Errorf("second crawl: %q, %d blob GETs", out, gets)
	}

	// Serve the index, whose file says which registry it was crawled from: distribution wants
	// a token even for anonymous pulls, so asset hrefs go through stac serve, which has the
	// credentials.
	addr := e.startStacServe(append([]string{"--index", index}, auth...)...)
	api := "http://" + addr + "/stac/"
	refs := strings.Fields(e.must("search", api, "--format", "refs", "--sortby", "id"))
	if len(refs) != 2 || !strings.HasPrefix(refs[0], host+"/eo/l7-olinda@sha256:") || !strings.HasPrefix(refs[1], host+"/eo/olinda-dem@sha256:") {
		t.Fatalf("refs %q", refs)
	}
	// Each reference pulls the product it names, byte for byte.
	for i, p := range []testpeer.Product{landsat, dem} {
		dst := t.TempDir()
		e.must("pull", refs[i], "-o", dst)
		for _, f := range p.Files {
			testpeer.SameFile(t, filepath.Join(p.Dir, f), filepath.Join(dst, f))
		}
	}

	// By place and time: only the Landsat scene is in 2001.
	table := e.must("search", api, "--bbox", "-35,-8.2,-34.8,-7.9", "--datetime", "2001")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.HasPrefix(lines[1], "l7-olinda ") || !strings.Contains(lines[1], "landsat-7") {
		t.Errorf("table:\n%s", table)
	}

	// GDAL reads a band through the pass-through: same pixels as the file pushed.
	var fc struct {
		Features []struct {
			ID     string
			Assets map[string]struct{ Href string }
		}
		NumberMatched int
	}
	if err := json.Unmarshal([]byte(e.must("search", api, "--ids", "l7-olinda", "--format", "json")), &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 1 || fc.NumberMatched != 1 {
		t.Fatalf("json: %+v", fc)
	}
	href := fc.Features[0].Assets["B2"].Href
	if !strings.HasPrefix(href, "http://"+addr+"/blobs/eo/l7-olinda/sha256:") {
		t.Fatalf("B2 href %s: not the pass-through", href)
	}
	checksum := regexp.MustCompile(`Checksum=(\d+)`)
	local := checksum.FindString(testpeer.GDAL(t, "", "gdalinfo", "-checksum", filepath.Join(landsat.Dir, "B2.tif")))
	remote := checksum.FindString(testpeer.GDAL(t, "", "gdalinfo", "-checksum", "/vsicurl/"+href))
	if local == "" || local != remote {
		t.Errorf("checksum through the pass-through %q, local %q", remote, local)
	}
	// GDAL's STAC client opens the search as a mosaic, reading through the pass-through too.
	mosaic := checksum.FindString(testpeer.GDAL(t, "", "gdalinfo", "-checksum", `STACIT:"`+api+`search?collections=landsat-7":asset=B2`))
	if mosaic != local {
		t.Errorf("checksum of the STACIT mosaic %q, local %q", mosaic, local)
	}
	// The registry itself refuses the same URL without a token.
	direct := "http://" + host + "/v2/eo/l7-olinda/blobs/" + href[strings.LastIndex(href, "/")+1:]
	if resp, err := http.Get(direct); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous GET %s: %v %v", direct, resp.Status, err)
	}

	// Retag the DEM, delete the Landsat scene: the next crawl re-tags one and removes one.
	e.must(append([]string{"tag", host + "/eo/olinda-dem:2010", "latest"}, auth...)...)
	e.must(append([]string{"manifest", "delete", "--force", refs[0]}, auth...)...)
	out, gets = crawl()
	if got := counts(t, out); !slices.Equal(got, []string{"2", "1", "0", "1", "1", "1", "0", "0", "0"}) || gets != 0 {
		t.Errorf("crawl after retag and delete: %q, %d blob GETs", out, gets)
	}
	// stac serve reads the file as it is now.
	if got := strings.TrimSpace(e.must("search", api, "--format", "refs")); got != refs[1] {
		t.Errorf("refs after delete: %q", got)
	}
	var item struct {
		Properties map[string]any `json:"properties"`
	}
	code, body := testpeer.Get(t, api+"collections/dem/items/olinda-dem")
	if code != http.StatusOK || json.Unmarshal(body, &item) != nil {
		t.Fatalf("item: %d %s", code, body)
	}
	if tags, _ := json.Marshal(item.Properties["eopack:tags"]); string(tags) != `["2010","latest"]` {
		t.Errorf("eopack:tags %s", tags)
	}

	// Errors are one line.
	_, errOut, err := e.run("search", api, "--filter", "eo:cloud_cover <")
	if err == nil || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "Error: --filter") {
		t.Errorf("bad filter: %v %q", err, errOut)
	}
	_, errOut, err = e.run("search", api, "--sortby", "nosuchfield")
	if err == nil || !strings.Contains(errOut, "400") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("bad sortby: %v %q", err, errOut)
	}
}
