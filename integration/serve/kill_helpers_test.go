package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// This file holds the bookkeeping of TestKill9DuringConcurrentWrites: what the clients sent,
// what the registry acknowledged, and which final states those requests allow.

const (
	killRepo     = "eo/kill"
	mtKillConfig = "application/vnd.eopack.test.config"
	mtKillLayer  = "application/vnd.eopack.test.layer"
	atArtifact   = "application/vnd.eopack.test.artifact"
	atReferrer   = "application/vnd.eopack.test.sig"
)

// blobRec is a blob the clients uploaded (or tried to). Blobs are never deleted by the test.
type blobRec struct {
	dgst    digest.Digest
	data    []byte
	acked   bool   // a 201 was received for an upload of it
	round   int    // round of the first 201
	history string // how its uploads went, for failure messages
}

func (b *blobRec) desc(mediaType string) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: b.dgst, Size: int64(len(b.data))}
}

// manRec is a manifest the clients built: an artifact, or a referrer of subject.
type manRec struct {
	dgst         digest.Digest
	body         []byte
	artifactType string
	subject      digest.Digest // "" unless a referrer
	acked        bool          // at least one PUT of it was acknowledged
}

// artifactManifest builds a small artifact manifest, unique by n; with a subject it is a
// referrer of that manifest.
func artifactManifest(n int64, config *blobRec, layers []*blobRec, subject *manRec) *manRec {
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: atArtifact,
		Config:       config.desc(mtKillConfig),
		Annotations:  map[string]string{"eopack.test.n": strconv.FormatInt(n, 10)},
	}
	for _, l := range layers {
		m.Layers = append(m.Layers, l.desc(mtKillLayer))
	}
	rec := &manRec{}
	if subject != nil {
		m.ArtifactType = atReferrer
		m.Subject = &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: subject.dgst, Size: int64(len(subject.body))}
		rec.subject = subject.dgst
	}
	rec.body, _ = json.Marshal(m)
	rec.dgst = digest.FromBytes(rec.body)
	rec.artifactType = m.ArtifactType
	return rec
}

type opKind int

const (
	opPutTag    opKind = iota // PUT manifests/<tag>
	opPutDigest               // PUT manifests/<digest>
	opDelTag                  // DELETE manifests/<tag>
	opDelDigest               // DELETE manifests/<digest>: the manifest and every tag on it
)

// op is one manifest request. It took effect at one instant between start and end if it was
// acknowledged; otherwise (answer lost at a kill, or a 5xx) it took effect at one instant between
// start and end or not at all, end being the kill for a lost answer. A request the registry
// rejected with a 4xx is marked failed and took no effect.
type op struct {
	kind       opKind
	tag        string
	dgst       digest.Digest
	round      int
	start, end time.Duration // since the test began; end 0 while the request is out
	code       int           // HTTP status, 0 if the answer was lost
	acked      bool
	failed     bool
}

func (o *op) String() string {
	s := "?"
	switch o.kind {
	case opPutTag:
		s = fmt.Sprintf("PUT %s→%s", o.tag, short(o.dgst))
	case opPutDigest:
		s = "PUT " + short(o.dgst)
	case opDelTag:
		s = "DELETE " + o.tag
	case opDelDigest:
		s = "DELETE " + short(o.dgst)
	}
	state := "answer lost at the kill"
	switch {
	case o.acked:
		state = fmt.Sprintf("acknowledged %d", o.code)
	case o.failed:
		state = fmt.Sprintf("rejected %d", o.code)
	case o.code != 0:
		state = fmt.Sprintf("answered %d", o.code)
	}
	return fmt.Sprintf("%s (round %d, %s)", s, o.round, state)
}

// short is a digest cut to 12 hex digits.
func short(d digest.Digest) string {
	if e := d.Encoded(); len(e) > 12 {
		return d.Algorithm().String() + ":" + e[:12]
	}
	return d.String()
}

// after reports whether acknowledged op b must come after op a: b was sent after a ended.
func after(b, a *op) bool { return b.acked && b.start > a.end }

// allowed is the set of states a tag or manifest may be in given the requests on it.
type allowed struct {
	absent bool
	to     map[digest.Digest]bool // tag: the manifests it may resolve to; manifest: {itself}
	ops    []*op
}

func (a allowed) String() string {
	var s []string
	if a.absent {
		s = append(s, "absent")
	}
	for d := range a.to {
		s = append(s, short(d))
	}
	sort.Strings(s)
	if len(s) == 0 {
		return "nothing (the model is inconsistent)"
	}
	return strings.Join(s, " or ")
}

// key names the state of subject after the ops of a: a failure that persists is reported
// once, one that comes back after more requests again.
func (a allowed) key(subject string) string {
	return fmt.Sprintf("%s after %d requests", subject, len(a.ops))
}

// recent lists the last n ops of a, newest last.
func (a allowed) recent(n int) string {
	ops := a.ops
	if len(ops) > n {
		ops = ops[len(ops)-n:]
	}
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = o.String()
	}
	return strings.Join(s, "; ")
}

// tagAllowed: tag may resolve to d if some PUT of d under tag is not followed by an
// acknowledged PUT or DELETE of tag or DELETE of d; it may be absent if no PUT of it was
// acknowledged, or if some DELETE of it (or of a manifest it was put on) is not followed by an
// acknowledged PUT of it.
func tagAllowed(ops []*op, tag string) allowed {
	under := map[digest.Digest]bool{}
	var rel []*op
	for _, o := range ops {
		if (o.kind == opPutTag || o.kind == opDelTag) && o.tag == tag && !o.failed {
			rel = append(rel, o)
			if o.kind == opPutTag {
				under[o.dgst] = true
			}
		}
	}
	for _, o := range ops {
		if o.kind == opDelDigest && under[o.dgst] && !o.failed {
			rel = append(rel, o)
		}
	}
	sort.SliceStable(rel, func(i, j int) bool { return rel[i].start < rel[j].start })
	a := allowed{to: map[digest.Digest]bool{}, ops: rel, absent: true}
	for _, o := range rel {
		if o.kind == opPutTag && o.acked {
			a.absent = false
		}
	}
	for _, x := range rel {
		overwritten := false
		for _, b := range rel {
			if !after(b, x) {
				continue
			}
			if x.kind == opPutTag && (b.kind != opDelDigest || b.dgst == x.dgst) ||
				x.kind != opPutTag && b.kind == opPutTag {
				overwritten = true
				break
			}
		}
		if overwritten {
			continue
		}
		if x.kind == opPutTag {
			a.to[x.dgst] = true
		} else {
			a.absent = true
		}
	}
	return a
}

// manifestAllowed: manifest d may be present if some PUT of it is not followed by an
// acknowledged DELETE of it; absent if no PUT of it was acknowledged or some DELETE of it is
// not followed by an acknowledged PUT of it.
func manifestAllowed(ops []*op, d digest.Digest) allowed {
	var rel []*op
	for _, o := range ops {
		if o.dgst == d && !o.failed && o.kind != opDelTag {
			rel = append(rel, o)
		}
	}
	a := allowed{to: map[digest.Digest]bool{}, ops: rel, absent: true}
	for _, o := range rel {
		if o.kind != opDelDigest && o.acked {
			a.absent = false
		}
	}
	for _, x := range rel {
		put := x.kind != opDelDigest
		overwritten := false
		for _, b := range rel {
			if after(b, x) && (b.kind != opDelDigest) != put {
				overwritten = true
				break
			}
		}
		switch {
		case overwritten:
		case put:
			a.to[d] = true
		default:
			a.absent = true
		}
	}
	return a
}

// failures records failed checks: each (check, subject) is reported once with t.Errorf, the
// first time it is seen; every occurrence is counted for the summary.
type failures struct {
	t        *testing.T
	mu       sync.Mutex
	count    map[string]int
	subjects map[string]map[string]bool
	printed  int
}

func newFailures(t *testing.T) *failures {
	return &failures{t: t, count: map[string]int{}, subjects: map[string]map[string]bool{}}
}

// add records a failure of check about subject (a digest, tag or request).
func (f *failures) add(check, subject, format string, args ...any) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count[check]++
	if f.subjects[check] == nil {
		f.subjects[check] = map[string]bool{}
	}
	if f.subjects[check][subject] {
		return
	}
	f.subjects[check][subject] = true
	if f.printed < 60 {
		f.printed++
		f.t.Errorf("[%s] %s", check, fmt.Sprintf(format, args...))
	} else {
		f.t.Fail()
	}
}

// summary is "check: N times (M subjects)" for each failed check.
func (f *failures) summary() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []string
	for c, n := range f.count {
		s = append(s, fmt.Sprintf("%s: %d times (%d distinct)", c, n, len(f.subjects[c])))
	}
	sort.Strings(s)
	return strings.Join(s, "; ")
}

// parallel calls fn(i) for i in [0, n) on 4 goroutines.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// describeBody says how a served body differs from the bytes that were uploaded.
func describeBody(got, want []byte) string {
	s := fmt.Sprintf("%d bytes %s, want %d bytes", len(got), short(digest.FromBytes(got)), len(want))
	switch {
	case len(got) > len(want) && bytes.HasPrefix(got, want):
		s += fmt.Sprintf(": its bytes followed by %d more", len(got)-len(want))
		if bytes.HasPrefix(got[len(want):], want[:min(len(want), len(got)-len(want))]) {
			s += " (the upload appended again)"
		}
	case len(got) < len(want) && bytes.HasPrefix(want, got):
		s += ": truncated"
	}
	return s
}

// check compares everything the registry serves with what the clients were told, with no
// request in flight.
func (k *killTest) check(c *kclient, where string) {
	k.where = where
	k.mu.Lock()
	var blobs []*blobRec
	for _, b := range k.blobs {
		blobs = append(blobs, b)
	}
	var mans []*manRec
	for _, m := range k.mans {
		mans = append(mans, m)
	}
	ops := append([]*op(nil), k.ops...)
	k.mu.Unlock()

	parallel(len(blobs), func(i int) { k.checkBlob(c, blobs[i]) })

	served := make([]bool, len(mans))
	parallel(len(mans), func(i int) { served[i] = k.checkManifest(c, mans[i], manifestAllowed(ops, mans[i].dgst)) })
	isServed := map[digest.Digest]bool{}
	for i, m := range mans {
		isServed[m.dgst] = served[i]
	}

	listed := k.listTags(c)
	tags := map[string]bool{}
	for i := range kill9Tags {
		tags[fmt.Sprintf("t%02d", i)] = true
	}
	for tag := range listed {
		tags[tag] = true
	}
	var names []string
	for tag := range tags {
		names = append(names, tag)
	}
	parallel(len(names), func(i int) { k.checkTag(c, names[i], listed[names[i]], tagAllowed(ops, names[i])) })

	bySubject := map[digest.Digest][]*manRec{}
	for _, m := range mans {
		if m.subject != "" {
			bySubject[m.subject] = append(bySubject[m.subject], m)
		}
	}
	var subjects []digest.Digest
	for s := range bySubject {
		subjects = append(subjects, s)
	}
	parallel(len(subjects), func(i int) { k.checkReferrers(c, subjects[i], bySubject[subjects[i]], isServed, ops) })
}

// get GETs path for a check; a transport error is a failure (the server should be up).
func (k *killTest) get(c *kclient, path string) *reply {
	k.checks.Add(1)
	rep, err := c.do("GET", path, nil, "Accept", ocispec.MediaTypeImageManifest+", "+ocispec.MediaTypeImageIndex)
	if err != nil {
		k.fail.add("check request", path, "%s: GET %s: %v", k.where, path, err)
		return nil
	}
	return rep
}

// checkBlob: an acknowledged blob is served with exactly its bytes; one never acknowledged is
// absent or exact.
func (k *killTest) checkBlob(c *kclient, b *blobRec) {
	rep := k.get(c, "/v2/"+killRepo+"/blobs/"+b.dgst.String())
	if rep == nil {
		return
	}
	k.mu.Lock()
	acked, round, history := b.acked, b.round, b.history
	k.mu.Unlock()
	switch {
	case rep.code == 200 && !bytes.Equal(rep.body, b.data):
		k.fail.add("blob content", b.dgst.String(), "%s: GET blob %s (acknowledged in round %d): %s; its uploads%s",
			k.where, b.dgst, round, describeBody(rep.body, b.data), history)
	case rep.code == 200 && rep.h.Get("Docker-Content-Digest") != b.dgst.String():
		k.fail.add("blob header", b.dgst.String(), "%s: GET blob %s: Docker-Content-Digest %q", k.where, b.dgst, rep.h.Get("Docker-Content-Digest"))
	case rep.code == 200, rep.code == 404 && !acked:
	case acked:
		k.fail.add("acknowledged blob missing", b.dgst.String(), "%s: GET blob %s (acknowledged in round %d): %v; its uploads%s",
			k.where, b.dgst, round, rep, history)
	default:
		k.fail.add("blob GET", b.dgst.String(), "%s: GET blob %s: %v", k.where, b.dgst, rep)
	}
}

// checkManifest: a manifest served by digest is exactly its bytes and may exist; one not
// served may be absent. It reports whether m is served.
func (k *killTest) checkManifest(c *kclient, m *manRec, a allowed) bool {
	rep := k.get(c, "/v2/"+killRepo+"/manifests/"+m.dgst.String())
	if rep == nil {
		return false
	}
	switch {
	case rep.code == 200:
		if !bytes.Equal(rep.body, m.body) || rep.h.Get("Docker-Content-Digest") != m.dgst.String() {
			k.fail.add("manifest content", m.dgst.String(), "%s: GET manifests/%s: %s with Docker-Content-Digest %q",
				k.where, m.dgst, describeBody(rep.body, m.body), rep.h.Get("Docker-Content-Digest"))
		}
		if !a.to[m.dgst] {
			k.fail.add("manifest state", a.key(m.dgst.String()), "%s: manifest %s is served, an acknowledged DELETE removed it; requests on it: %s",
				k.where, m.dgst, a.recent(8))
		}
		return true
	case rep.code == 404:
		if !a.absent {
			k.fail.add("manifest state", a.key(m.dgst.String()), "%s: acknowledged manifest %s is gone (GET %v); requests on it: %s",
				k.where, m.dgst, rep, a.recent(8))
		}
	default:
		k.fail.add("manifest GET", m.dgst.String(), "%s: GET manifests/%s: %v", k.where, m.dgst, rep)
	}
	return false
}

// listTags reads tags/list, following Link pages.
func (k *killTest) listTags(c *kclient) map[string]bool {
	out := map[string]bool{}
	path := "/v2/" + killRepo + "/tags/list"
	for range 100 {
		rep := k.get(c, path)
		if rep == nil {
			return out
		}
		if rep.code == 404 && rep.errCode() == "NAME_UNKNOWN" {
			return out
		}
		var l struct{ Tags []string }
		if err := json.Unmarshal(rep.body, &l); rep.code != 200 || err != nil {
			k.fail.add("tags/list", path, "%s: GET %s: %v", k.where, path, rep)
			return out
		}
		for _, tag := range l.Tags {
			out[tag] = true
		}
		link := rep.h.Get("Link")
		if link == "" {
			return out
		}
		path = sessionPath(strings.Trim(strings.SplitN(link, ";", 2)[0], "<> "))
	}
	return out
}

// checkTag: a listed tag resolves (no dangling tag), and the tag's state is one that the
// requests on it allow.
func (k *killTest) checkTag(c *kclient, tag string, listed bool, a allowed) {
	rep := k.get(c, "/v2/"+killRepo+"/manifests/"+tag)
	if rep == nil {
		return
	}
	switch {
	case rep.code == 200:
		d := digest.FromBytes(rep.body)
		if got := rep.h.Get("Docker-Content-Digest"); got != d.String() {
			k.fail.add("manifest content", tag, "%s: GET manifests/%s: body %s, Docker-Content-Digest %q", k.where, tag, d, got)
		}
		if !listed {
			k.fail.add("tags/list", tag, "%s: tag %s resolves to %s but is not in tags/list", k.where, tag, short(d))
		}
		if !a.to[d] {
			k.fail.add("tag state", a.key(tag), "%s: tag %s resolves to %s, the requests on it allow %s; last requests: %s",
				k.where, tag, short(d), a, a.recent(8))
		}
	case listed:
		k.fail.add("dangling tag", a.key(tag), "%s: tag %s is in tags/list but GET manifests/%s answers %v; last requests on it: %s",
			k.where, tag, tag, rep, a.recent(8))
	case rep.code == 404:
		if !a.absent {
			k.fail.add("tag state", a.key(tag), "%s: tag %s is gone (GET %v), the requests on it allow %s; last requests: %s",
				k.where, tag, rep, a, a.recent(8))
		}
	default:
		k.fail.add("manifest GET", tag, "%s: GET manifests/%s: %v", k.where, tag, rep)
	}
}

// checkReferrers: every referrer listed for subject is a served manifest with that subject and
// artifact type, and every served referrer of subject is listed.
func (k *killTest) checkReferrers(c *kclient, subject digest.Digest, refs []*manRec, served map[digest.Digest]bool, ops []*op) {
	path := "/v2/" + killRepo + "/referrers/" + subject.String()
	rep := k.get(c, path)
	if rep == nil {
		return
	}
	var idx ocispec.Index
	if err := json.Unmarshal(rep.body, &idx); rep.code != 200 || err != nil {
		k.fail.add("referrers", subject.String(), "%s: GET %s: %v", k.where, path, rep)
		return
	}
	listed := map[digest.Digest]bool{}
	for _, d := range idx.Manifests {
		listed[d.Digest] = true
		k.mu.Lock()
		m := k.mans[d.Digest]
		k.mu.Unlock()
		switch {
		case m == nil || m.subject != subject:
			k.fail.add("referrers", d.Digest.String(), "%s: referrers of %s list %s, which is not a manifest with that subject", k.where, short(subject), d.Digest)
		case !served[d.Digest]:
			k.fail.add("referrers", d.Digest.String(), "%s: referrers of %s list %s, which GET manifests/<digest> does not serve", k.where, short(subject), d.Digest)
		case d.ArtifactType != m.artifactType:
			k.fail.add("referrers", d.Digest.String(), "%s: referrers of %s list %s with artifactType %q", k.where, short(subject), d.Digest, d.ArtifactType)
		}
	}
	for _, m := range refs {
		if served[m.dgst] && !listed[m.dgst] {
			k.fail.add("referrer not listed", m.dgst.String(), "%s: referrer %s of %s is served by digest but not listed by GET %s; requests on it: %s",
				k.where, m.dgst, short(subject), path, manifestAllowed(ops, m.dgst).recent(4))
		}
	}
}

// The allowed states of a tag and of a manifest, for requests that overlap or not and whose
// answers were acknowledged, lost or rejected.
func TestKill9Model(t *testing.T) {
	const lost, acked, rejected = 0, 1, 2
	o := func(kind opKind, ref string, start, end time.Duration, state int) *op {
		x := &op{kind: kind, start: start, end: end, acked: state == acked, failed: state == rejected}
		if kind == opPutTag {
			x.tag, ref = "t", strings.TrimPrefix(ref, "t→")
		}
		if kind == opDelTag {
			x.tag = ref
		} else {
			x.dgst = digest.FromString(ref)
		}
		return x
	}
	a, b := digest.FromString("a"), digest.FromString("b")
	cases := []struct {
		name   string
		ops    []*op
		tag    bool // check tag "t", else manifest a
		absent bool
		to     []digest.Digest
	}{
		{"no request", nil, true, true, nil},
		{"later PUT wins", []*op{o(opPutTag, "t→a", 1, 2, acked), o(opPutTag, "t→b", 3, 4, acked)}, true, false, []digest.Digest{b}},
		{"overlapping PUTs", []*op{o(opPutTag, "t→a", 1, 5, acked), o(opPutTag, "t→b", 2, 3, acked)}, true, false, []digest.Digest{a, b}},
		{"lost PUT may land", []*op{o(opPutTag, "t→a", 1, 2, acked), o(opPutTag, "t→b", 3, 9, lost)}, true, false, []digest.Digest{a, b}},
		{"rejected PUT", []*op{o(opPutTag, "t→a", 1, 2, rejected)}, true, true, nil},
		{"DELETE of the tag", []*op{o(opPutTag, "t→a", 1, 2, acked), o(opDelTag, "t", 3, 4, acked)}, true, true, nil},
		{"lost DELETE of the tag", []*op{o(opPutTag, "t→a", 1, 2, acked), o(opDelTag, "t", 3, 9, lost)}, true, true, []digest.Digest{a}},
		{"DELETE of its manifest", []*op{o(opPutTag, "t→a", 1, 2, acked), o(opDelDigest, "a", 3, 4, acked)}, true, true, nil},
		{"DELETE of another manifest", []*op{o(opPutTag, "t→a", 1, 2, acked), o(opDelDigest, "b", 3, 4, acked)}, true, false, []digest.Digest{a}},
		{"manifest PUT again by digest", []*op{o(opPutTag, "t→a", 1, 2, acked), o(opDelDigest, "a", 3, 4, acked), o(opPutDigest, "a", 5, 6, acked)}, true, true, nil},
		{"PUT racing DELETE of its manifest", []*op{o(opPutTag, "t→a", 1, 4, acked), o(opDelDigest, "a", 2, 3, acked)}, true, true, []digest.Digest{a}},
		{"manifest deleted", []*op{o(opPutDigest, "a", 1, 2, acked), o(opDelDigest, "a", 3, 4, acked)}, false, true, nil},
		{"manifest DELETE lost", []*op{o(opPutTag, "t→a", 1, 2, acked), o(opDelDigest, "a", 3, 9, lost)}, false, true, []digest.Digest{a}},
		{"manifest PUT racing DELETE", []*op{o(opDelDigest, "a", 1, 5, acked), o(opPutDigest, "a", 2, 3, acked)}, false, true, []digest.Digest{a}},
		{"manifest PUT lost", []*op{o(opPutDigest, "a", 1, 9, lost)}, false, true, []digest.Digest{a}},
		{"manifest re-PUT after DELETE", []*op{o(opPutDigest, "a", 1, 2, acked), o(opDelDigest, "a", 3, 4, acked), o(opPutTag, "t→a", 5, 6, acked)}, false, false, []digest.Digest{a}},
	}
	for _, tc := range cases {
		got := manifestAllowed(tc.ops, a)
		if tc.tag {
			got = tagAllowed(tc.ops, "t")
		}
		want := allowed{absent: tc.absent, to: map[digest.Digest]bool{}}
		for _, d := range tc.to {
			want.to[d] = true
		}
		if got.String() != want.String() {
			t.Errorf("%s: allowed %s, want %s", tc.name, got, want)
		}
	}
}
