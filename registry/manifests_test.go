package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestManifestPutGetDelete(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	layer := tr.pushBlob("eo/products", []byte("B04"))
	body, d := manifestJSON(t, "application/vnd.eopack.eo.product.v1", nil, layer)
	r := tr.pushManifest("eo/products", "v1", body)
	if r.header.Get("Docker-Content-Digest") != d.String() || r.header.Get("Location") != "/v2/eo/products/manifests/"+d.String() {
		t.Fatalf("PUT headers %v", r.header)
	}
	for _, ref := range []string{"v1", d.String()} {
		r := tr.do("GET", "/v2/eo/products/manifests/"+ref, nil, "Accept", ocispec.MediaTypeImageManifest)
		expect(t, "GET "+ref, r, 200, "")
		if !bytes.Equal(r.body, body) || r.header.Get("Content-Type") != ocispec.MediaTypeImageManifest || r.header.Get("Docker-Content-Digest") != d.String() {
			t.Fatalf("GET %s: %q %v", ref, r.body, r.header)
		}
		r = tr.do("HEAD", "/v2/eo/products/manifests/"+ref, nil)
		if r.status != 200 || r.header.Get("Content-Length") != fmt.Sprint(len(body)) {
			t.Fatalf("HEAD %s: %d %v", ref, r.status, r.header)
		}
	}
	// by digest with ?tag=
	r = tr.do("PUT", "/v2/eo/products/manifests/"+d.String()+"?tag=a&tag=b", body, "Content-Type", ocispec.MediaTypeImageManifest)
	expect(t, "PUT ?tag=", r, 201, "")
	if got := strings.Join(r.header.Values("OCI-Tag"), ","); got != "a,b" {
		t.Fatalf("OCI-Tag %q", got)
	}
	expect(t, "GET tag a", tr.do("GET", "/v2/eo/products/manifests/a", nil), 200, "")
	// tag delete leaves the manifest; digest delete removes it and its tags
	expect(t, "DELETE tag", tr.do("DELETE", "/v2/eo/products/manifests/a", nil), 202, "")
	expect(t, "GET deleted tag", tr.do("GET", "/v2/eo/products/manifests/a", nil), 404, "MANIFEST_UNKNOWN")
	expect(t, "GET b", tr.do("GET", "/v2/eo/products/manifests/b", nil), 200, "")
	expect(t, "DELETE digest", tr.do("DELETE", "/v2/eo/products/manifests/"+d.String(), nil), 202, "")
	for _, ref := range []string{"v1", "b", d.String()} {
		expect(t, "GET after delete "+ref, tr.do("GET", "/v2/eo/products/manifests/"+ref, nil), 404, "MANIFEST_UNKNOWN")
	}
	expect(t, "DELETE again", tr.do("DELETE", "/v2/eo/products/manifests/"+d.String(), nil), 404, "MANIFEST_UNKNOWN")
	expect(t, "GET unknown repo", tr.do("GET", "/v2/eo/none/manifests/v1", nil), 404, "MANIFEST_UNKNOWN")
}

func TestManifestBadInput(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	tr.pushBlob("eo/products", ocispec.DescriptorEmptyJSON.Data)
	missing := ocispec.Descriptor{MediaType: "image/tiff", Digest: digest.FromString("not pushed"), Size: 10}
	withMissing, _ := manifestJSON(t, "", nil, missing)
	good, goodDigest := manifestJSON(t, "", nil)
	subject := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("absent subject"), Size: 5}
	withSubject, _ := manifestJSON(t, "application/vnd.test.sig", &subject)
	nondist := ocispec.Descriptor{MediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar", Digest: digest.FromString("foreign"), Size: 7}
	withForeign, _ := manifestJSON(t, "", nil, nondist)
	index := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":%q,"size":1}]}`,
		ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageManifest, digest.FromString("child")))
	mt := ocispec.MediaTypeImageManifest
	cases := []struct {
		name, ref, contentType string
		body                   []byte
		status                 int
		code                   string
	}{
		{"missing layer", "v1", mt, withMissing, 400, "MANIFEST_BLOB_UNKNOWN"},
		{"missing child manifest", "v1", ocispec.MediaTypeImageIndex, index, 400, "MANIFEST_BLOB_UNKNOWN"},
		{"missing subject is accepted", "sig", mt, withSubject, 201, ""},
		{"non-distributable layer need not exist", "nd", mt, withForeign, 201, ""},
		{"malformed JSON", "v1", mt, []byte(`{"schemaVersion":2,`), 400, "MANIFEST_INVALID"},
		{"truncated JSON", "v1", mt, good[:len(good)/2], 400, "MANIFEST_INVALID"},
		{"not an object", "v1", mt, []byte(`[1,2]`), 400, "MANIFEST_INVALID"},
		{"schemaVersion 1", "v1", mt, []byte(`{"schemaVersion":1,"config":{}}`), 400, "MANIFEST_INVALID"},
		{"media type disagrees", "v1", ocispec.MediaTypeImageIndex, good, 400, "MANIFEST_INVALID"},
		{"not a manifest type", "v1", "application/json", []byte(`{"schemaVersion":2}`), 400, "MANIFEST_INVALID"},
		{"digest mismatch", digest.FromString("other").String(), mt, good, 400, "DIGEST_INVALID"},
		{"bad tag param", goodDigest.String() + "?tag=-bad", mt, good, 400, "MANIFEST_INVALID"},
		{"bad reference", "bad:tag", mt, good, 400, "MANIFEST_INVALID"},
		{"too large", "big", mt, append(append([]byte{}, good...), bytes.Repeat([]byte(" "), MaxManifestSize)...), 413, "SIZE_INVALID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tr.do("PUT", "/v2/eo/products/manifests/"+tc.ref, tc.body, "Content-Type", tc.contentType)
			expect(t, "PUT", r, tc.status, tc.code)
			if tc.status == 201 && r.header.Get("Location") == "" {
				t.Fatal("no Location")
			}
		})
	}
	if r := tr.do("PUT", "/v2/eo/products/manifests/sig2", withSubject, "Content-Type", mt); r.header.Get("OCI-Subject") != subject.Digest.String() {
		t.Fatalf("OCI-Subject %q", r.header.Get("OCI-Subject"))
	}
	// nothing invalid was stored: only the accepted manifests' tags are listed
	if r := tr.do("GET", "/v2/eo/products/tags/list", nil); string(r.body) != `{"name":"eo/products","tags":["nd","sig","sig2"]}` {
		t.Fatalf("tags after bad input: %s", r.body)
	}
	// a failed push to a new repository does not create it
	tr.do("PUT", "/v2/eo/new/manifests/v1", withMissing, "Content-Type", mt)
	r := tr.do("GET", "/v2/_catalog", nil)
	if strings.Contains(string(r.body), "eo/new") {
		t.Fatalf("catalog %s", r.body)
	}
}

func TestReferrers(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	product, pd := manifestJSON(t, "application/vnd.eopack.eo.product.v1", nil)
	tr.pushManifest("eo/products", "v1", product)
	subject := &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: pd, Size: int64(len(product))}
	sig, sigd := manifestJSON(t, "application/vnd.test.sig", subject)
	sbom, _ := manifestJSON(t, "application/vnd.test.sbom", subject)
	tr.pushManifest("eo/products", sigd.String(), sig)
	tr.pushManifest("eo/products", "sbom", sbom)
	list := func(q string) (ocispec.Index, resp) {
		r := tr.do("GET", "/v2/eo/products/referrers/"+pd.String()+q, nil)
		expect(t, "referrers"+q, r, 200, "")
		var idx ocispec.Index
		if err := json.Unmarshal(r.body, &idx); err != nil || r.header.Get("Content-Type") != ocispec.MediaTypeImageIndex {
			t.Fatalf("referrers body %s (%v) %v", r.body, err, r.header)
		}
		return idx, r
	}
	idx, r := list("")
	if len(idx.Manifests) != 2 || r.header.Get("OCI-Filters-Applied") != "" {
		t.Fatalf("all referrers: %+v", idx.Manifests)
	}
	idx, r = list("?artifactType=application/vnd.test.sig")
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != sigd || idx.Manifests[0].ArtifactType != "application/vnd.test.sig" ||
		r.header.Get("OCI-Filters-Applied") != "artifactType" {
		t.Fatalf("filtered: %+v %v", idx.Manifests, r.header)
	}
	r = tr.do("GET", "/v2/eo/none/referrers/"+pd.String(), nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"manifests":[]`) {
		t.Fatalf("unknown repo: %d %s", r.status, r.body)
	}
	expect(t, "bad digest", tr.do("GET", "/v2/eo/products/referrers/sha256:xyz", nil), 400, "DIGEST_INVALID")
}

func TestTagsAndCatalogPagination(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	body, _ := manifestJSON(t, "", nil)
	for _, tag := range []string{"c", "a", "b", "d"} {
		tr.pushManifest("eo/products", tag, body)
	}
	for _, repo := range []string{"x/two", "x/one", "x/one/nested"} {
		tr.pushManifest(repo, "v1", body)
	}
	cases := []struct {
		path, want, link string
	}{
		{"/v2/eo/products/tags/list", `{"name":"eo/products","tags":["a","b","c","d"]}`, ""},
		{"/v2/eo/products/tags/list?n=2", `{"name":"eo/products","tags":["a","b"]}`, `</v2/eo/products/tags/list?last=b&n=2>; rel="next"`},
		{"/v2/eo/products/tags/list?n=2&last=b", `{"name":"eo/products","tags":["c","d"]}`, ""},
		{"/v2/eo/products/tags/list?n=0", `{"name":"eo/products","tags":[]}`, ""},
		{"/v2/_catalog", `{"repositories":["eo/products","x/one","x/one/nested","x/two"]}`, ""},
		{"/v2/_catalog?n=1&last=eo/products", `{"repositories":["x/one"]}`, `</v2/_catalog?last=x%2Fone&n=1>; rel="next"`},
	}
	for _, tc := range cases {
		r := tr.do("GET", tc.path, nil)
		if r.status != 200 || string(r.body) != tc.want || r.header.Get("Link") != tc.link {
			t.Fatalf("%s: %d %s Link %q\nwant %s Link %q", tc.path, r.status, r.body, r.header.Get("Link"), tc.want, tc.link)
		}
	}
	expect(t, "tags of unknown repo", tr.do("GET", "/v2/eo/none/tags/list", nil), 404, "NAME_UNKNOWN")
}

func TestNames(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	for _, name := range []string{"Eo/products", "eo/../products", "eo//products", "/eo", "_blobs", "eo/_x", "-eo", "eo.", strings.Repeat("a", 256)} {
		r := tr.do("GET", "/v2/"+name+"/tags/list", nil)
		if r.status != 400 && r.status != 404 {
			t.Fatalf("%q: %d", name, r.status)
		}
		r = tr.do("POST", "/v2/"+name+"/blobs/uploads/", nil)
		if r.status == 202 {
			t.Fatalf("upload to %q accepted", name)
		}
	}
	expect(t, "upper case", tr.do("POST", "/v2/Eo/blobs/uploads/", nil), 400, "NAME_INVALID")
	expect(t, "dot dot", tr.do("POST", "/v2/eo/../x/blobs/uploads/", nil), 400, "NAME_INVALID")
	for _, name := range []string{"eo", "eo/products", "a.b_c__d-e--f/g0", "blobs", "x/blobs", "eo/index.json", "x/oci_layout", "x/manifests/y"} {
		expect(t, name, tr.do("POST", "/v2/"+name+"/blobs/uploads/", nil), 202, "")
	}
}
