package metadatatest

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata"
)

// testReferrers: a subject's referrers in one repository, by digest, optionally of one type.
func testReferrers(f fx) {
	subject := blob("subject") // a subject need not be in the repository
	var all, sigs []digest.Digest
	for i, name := range []string{"r1", "r2", "r3", "r4", "r5", "r6"} {
		typ := "application/vnd.sbom"
		if i%2 == 0 {
			typ = "application/vnd.sig"
		}
		p := referrer("r", name, typ, subject)
		f.put(p)
		all = append(all, p.Manifest.Digest)
		if typ == "application/vnd.sig" {
			sigs = append(sigs, p.Manifest.Digest)
		}
	}
	f.put(referrer("other", "o", "application/vnd.sig", subject), referrer("r", "x", "application/vnd.sig", blob("x")),
		image("r", "plain", nil))
	slices.Sort(all)
	slices.Sort(sigs)

	refs, err := f.s.Referrers(f.ctx, "r", subject, "")
	f.ok(err)
	equal(f.t, "referrers", digests(refs), all)
	for _, r := range refs {
		m := f.manifest("r", r.Digest.String(), r.Digest)
		var annotations map[string]string
		if err := json.Unmarshal(r.Annotations, &annotations); err != nil {
			f.t.Fatalf("referrer %s: annotations %q: %v", r.Digest, r.Annotations, err)
		}
		// As encoding/json writes the map: the registry passes these bytes through.
		if want, _ := json.Marshal(m.Annotations); string(r.Annotations) != string(want) {
			f.t.Fatalf("referrer %s: annotations %s, want %s", r.Digest, r.Annotations, want)
		}
		if r.MediaType != m.MediaType || r.ArtifactType != m.ArtifactType || r.Size != m.Size ||
			!maps.Equal(annotations, m.Annotations) || len(annotations) == 0 {
			f.t.Fatalf("referrer %+v of manifest %+v", r, m)
		}
	}
	refs, err = f.s.Referrers(f.ctx, "r", subject, "application/vnd.sig")
	f.ok(err)
	equal(f.t, "sig referrers", digests(refs), sigs)
	for _, c := range []struct {
		repo    string
		subject digest.Digest
		typ     string
	}{{"r", subject, "application/vnd.none"}, {"r", blob("nothing"), ""}, {"absent", subject, ""}} {
		refs, err = f.s.Referrers(f.ctx, c.repo, c.subject, c.typ)
		f.ok(err)
		equal(f.t, "referrers "+c.repo+" "+c.typ, digests(refs), nil)
	}
}

func digests(rs []metadata.Referrer) []digest.Digest {
	var ds []digest.Digest
	for _, r := range rs {
		ds = append(ds, r.Digest)
	}
	return ds
}

// names in an order that byte order, case folding and locale collations disagree on.
var names = []string{"b", "a_b", "é", "B", "a/b", "a", "a-b", "z", "0", "Z9", "a.b", "ab"}

func byteOrder() []string {
	s := slices.Clone(names)
	sort.Strings(s)
	return s
}

// testRepositoriesPaging: pages in byte order with after and limit.
func testRepositoriesPaging(f fx) {
	for _, n := range names {
		f.link(n, "x")
	}
	want := byteOrder()
	pages(f, want, func(after string, limit int) ([]string, error) {
		return f.s.Repositories(f.ctx, after, limit)
	})
}

// testTagsPaging: pages in byte order with after and limit; only the repository's tags.
func testTagsPaging(f fx) {
	tags := []string{"v1.9", "v1.10", "Latest", "latest", "_x", "V2", "0", "v1", "v1-rc", "v1_rc"}
	half := len(tags) / 2
	f.put(image("r", "one", nil, tags[:half]...), image("r", "two", nil, tags[half:]...),
		image("other", "one", nil, "zzz", "aaa"))
	want := slices.Clone(tags)
	sort.Strings(want)
	pages(f, want, func(after string, limit int) ([]string, error) {
		return f.s.Tags(f.ctx, "r", after, limit)
	})
	f.put(image("empty", "untagged", nil))
	f.tags("empty")
}

// pages checks list against want (sorted): every page size, after a name present or not.
func pages(f fx, want []string, list func(after string, limit int) ([]string, error)) {
	f.t.Helper()
	got, err := list("", -1)
	f.ok(err)
	equal(f.t, "all", got, want)
	got, err = list("", 0)
	f.ok(err)
	equal(f.t, "limit 0", got, nil)
	for limit := 1; limit <= len(want)+1; limit++ {
		var all []string
		after := ""
		for {
			page, err := list(after, limit)
			f.ok(err)
			if len(page) > limit {
				f.t.Fatalf("page of %d after %q: %d names", limit, after, len(page))
			}
			all = append(all, page...)
			if len(page) < limit {
				break
			}
			after = page[len(page)-1]
		}
		equal(f.t, "paged", all, want)
	}
	for i, w := range want {
		got, err := list(w+"\x01", -1) // between w and the next name
		f.ok(err)
		equal(f.t, "after "+w, got, want[i+1:])
	}
	got, err = list(want[len(want)-1], 10)
	f.ok(err)
	equal(f.t, "after the last", got, nil)
}
