package serve

import (
	"bytes"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/testpeer"
)

// kill9Rounds is how many times the server is killed; the test stops adding rounds past
// kill9Budget once kill9MinRounds are done, to stay within its time on a slow machine.
const (
	kill9Rounds    = 40
	kill9MinRounds = 20
	kill9Budget    = 60 * time.Second
	kill9Workers   = 4
	kill9Tags      = 12
)

// SIGKILL, over and over, while 4 clients upload blobs (monolithic and chunked), push tagged
// artifacts and referrers, move and delete tags and delete manifests. After each restart the
// clients retry what the kill interrupted, and the registry must hold exactly what it
// acknowledged: every acknowledged blob byte for byte, every listed tag resolvable, every tag
// and manifest in a state that the acknowledged and interrupted requests allow, every listed
// referrer fetchable with the right subject. EOPACK_KILL_SEED replays the clients' choices (not
// the timing).
func TestKill9DuringConcurrentWrites(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("EOPACK_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d", seed)
	k := &killTest{fail: newFailures(t), seed: seed, rnd: rand.New(rand.NewPCG(seed, 0)), t0: time.Now(),
		blobs: map[digest.Digest]*blobRec{}, mans: map[digest.Digest]*manRec{}}
	testpeer.Eopack(t) // build before the clock of the budget starts
	root := t.TempDir()
	start := time.Now()
	rounds := 0
	for rounds < kill9Rounds && (rounds < kill9MinRounds || time.Since(start) < kill9Budget) {
		rounds++
		k.round = rounds
		srv := testpeer.StartServe(t, root)
		c := newKClient(srv.Addr)
		if rounds > 1 {
			k.check(c, fmt.Sprintf("round %d, after restart", rounds))
		}
		k.where = fmt.Sprintf("round %d, retries", rounds)
		k.retry(c)
		k.where = fmt.Sprintf("round %d, traffic", rounds)
		k.traffic(srv, c, time.Duration(50+k.rnd.IntN(351))*time.Millisecond)
	}
	k.round = rounds + 1
	srv := testpeer.StartServe(t, root)
	c := newKClient(srv.Addr)
	k.check(c, "after the last restart")
	k.where = "final retries"
	k.retry(c)
	k.check(c, "at the end")
	srv.Stop()
	t.Logf("kill -9: %d rounds in %s, %d requests acknowledged, %d lost at kills, %d retries (%d redone after 404, %d resumed after 416), %d blobs, %d manifests, %d checks",
		rounds, time.Since(start).Round(time.Second), k.acked, k.lost, k.retries, k.redone, k.resumed, len(k.blobs), len(k.mans), k.checks.Load())
	if s := k.fail.summary(); s != "" {
		t.Logf("failed checks: %s", s)
	}
}

// killTest is the clients' shared state: what was sent and what the registry answered.
type killTest struct {
	fail   *failures
	seed   uint64
	rnd    *rand.Rand // the test goroutine's
	t0     time.Time
	round  int
	where  string // the phase, for failure messages; set while no worker runs
	n      atomic.Int64
	checks atomic.Int64

	mu          sync.Mutex
	blobs       map[digest.Digest]*blobRec
	ackedBlobs  []*blobRec
	mans        map[digest.Digest]*manRec
	artifacts   []*manRec // acknowledged manifests without subject
	referrers   []*manRec // acknowledged manifests with subject
	ops         []*op
	lostUploads []*blobUpload
	lostPuts    []*op
	acked       int
	lost        int
	retries     int
	redone      int
	resumed     int
}

// traffic runs the workers for d, then SIGKILLs the server in the middle of their requests.
func (k *killTest) traffic(srv *testpeer.Server, c *kclient, d time.Duration) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range kill9Workers {
		wg.Add(1)
		r := rand.New(rand.NewPCG(k.seed, uint64(k.round*kill9Workers+w+1)))
		go func() {
			defer wg.Done()
			k.worker(c, stop, r)
		}()
	}
	time.Sleep(d)
	srv.Cmd.Process.Signal(syscall.SIGKILL)
	srv.Cmd.Wait()
	if ws, _ := srv.Cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		k.fail.add("server exited", strconv.Itoa(k.round), "%s: the server exited before the kill (%v); its log:\n%s", k.where, srv.Cmd.ProcessState, srv.Log)
	}
	close(stop)
	wg.Wait()
	c.hc.CloseIdleConnections()
	k.mu.Lock()
	now := time.Since(k.t0)
	for _, o := range k.ops {
		if o.end == 0 {
			o.end = now
		}
	}
	k.mu.Unlock()
}

// worker sends a random mix of requests until stop is closed or the server is gone.
func (k *killTest) worker(c *kclient, stop <-chan struct{}, r *rand.Rand) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		var err error
		switch p := r.IntN(100); {
		case p < 22 || !k.haveBlobs():
			err = k.upload(c, k.newUpload(r, false))
		case p < 40:
			err = k.upload(c, k.newUpload(r, true))
		case p < 58:
			err = k.putManifest(c, opPutTag, tagName(r), k.newManifest(r, nil))
		case p < 68: // move a tag: an existing manifest under a tag that may point elsewhere
			m := k.pick(r, false)
			if m == nil {
				m = k.newManifest(r, nil)
			}
			err = k.putManifest(c, opPutTag, tagName(r), m)
		case p < 76:
			err = k.del(c, opDelTag, tagName(r), "")
		case p < 82:
			if m := k.pick(r, true); m != nil {
				err = k.del(c, opDelDigest, "", m.dgst)
			}
		case p < 88: // a tag PUT and a DELETE of its manifest at once, as two clients would
			if m := k.pick(r, false); m != nil {
				err = k.race(c, tagName(r), m)
			}
		default:
			if s := k.pick(r, false); s != nil {
				err = k.putManifest(c, opPutDigest, "", k.newManifest(r, s))
			}
		}
		if err != nil {
			return
		}
	}
}

func tagName(r *rand.Rand) string { return fmt.Sprintf("t%02d", r.IntN(kill9Tags)) }

func (k *killTest) haveBlobs() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.ackedBlobs) > 0
}

// pick returns a random acknowledged manifest: an artifact, or with all also a referrer. Half
// the picks are among the 8 newest artifacts, so that tag moves and deletes of one manifest
// race.
func (k *killTest) pick(r *rand.Rand, all bool) *manRec {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := len(k.artifacts)
	if all {
		n += len(k.referrers)
	}
	switch i := r.IntN(max(n, 1)); {
	case n == 0:
		return nil
	case len(k.artifacts) > 0 && r.IntN(2) == 0:
		return k.artifacts[len(k.artifacts)-1-r.IntN(min(8, len(k.artifacts)))]
	case i < len(k.artifacts):
		return k.artifacts[i]
	default:
		return k.referrers[i-len(k.artifacts)]
	}
}

// newManifest builds a new artifact of acknowledged blobs (a referrer of subject if not nil).
func (k *killTest) newManifest(r *rand.Rand, subject *manRec) *manRec {
	k.mu.Lock()
	config := k.ackedBlobs[r.IntN(len(k.ackedBlobs))]
	var layers []*blobRec
	for range 1 + r.IntN(3) {
		layers = append(layers, k.ackedBlobs[r.IntN(len(k.ackedBlobs))])
	}
	k.mu.Unlock()
	m := artifactManifest(k.n.Add(1), config, layers, subject)
	k.mu.Lock()
	k.mans[m.dgst] = m
	k.mu.Unlock()
	return m
}

// begin records a manifest request about to be sent.
func (k *killTest) begin(kind opKind, tag string, d digest.Digest) *op {
	k.mu.Lock()
	defer k.mu.Unlock()
	o := &op{kind: kind, tag: tag, dgst: d, round: k.round, start: time.Since(k.t0)}
	k.ops = append(k.ops, o)
	return o
}

// answered records the answer to o: acknowledged, a 5xx (effect unknown) or rejected.
func (k *killTest) answered(o *op, code int, acked bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	o.end, o.code, o.acked = time.Since(k.t0), code, acked
	o.failed = !acked && code < 500
	if acked {
		k.acked++
	}
}

// putManifest PUTs m under tag (or by digest for opPutDigest). A lost answer is retried after
// the restart.
func (k *killTest) putManifest(c *kclient, kind opKind, tag string, m *manRec) error {
	ref := tag
	if kind == opPutDigest {
		ref = m.dgst.String()
	}
	o := k.begin(kind, tag, m.dgst)
	rep, err := c.do("PUT", "/v2/"+killRepo+"/manifests/"+ref, m.body, "Content-Type", ocispec.MediaTypeImageManifest)
	if err != nil {
		k.mu.Lock()
		k.lost++
		k.lostPuts = append(k.lostPuts, o)
		k.mu.Unlock()
		return err
	}
	k.answered(o, rep.code, rep.code == 201)
	if rep.code != 201 {
		k.fail.add("manifest PUT", rep.String(), "%s: PUT manifests/%s (manifest %s, subject %q): %v, want 201", k.where, ref, short(m.dgst), m.subject, rep)
		return nil
	}
	if got := rep.h.Get("Docker-Content-Digest"); got != m.dgst.String() {
		k.fail.add("manifest PUT", m.dgst.String(), "%s: PUT manifests/%s: 201 with Docker-Content-Digest %q, want %s", k.where, ref, got, m.dgst)
	}
	k.mu.Lock()
	if !m.acked {
		m.acked = true
		if m.subject == "" {
			k.artifacts = append(k.artifacts, m)
		} else {
			k.referrers = append(k.referrers, m)
		}
	}
	k.mu.Unlock()
	return nil
}

// del DELETEs manifests/<tag> or manifests/<digest>; 202 and 404 MANIFEST_UNKNOWN both say the
// tag or manifest is absent after the request.
func (k *killTest) del(c *kclient, kind opKind, tag string, d digest.Digest) error {
	ref := tag
	if kind == opDelDigest {
		ref = d.String()
	}
	o := k.begin(kind, tag, d)
	rep, err := c.do("DELETE", "/v2/"+killRepo+"/manifests/"+ref, nil)
	if err != nil {
		k.inc(&k.lost)
		return err
	}
	ok := rep.code == 202 || rep.code == 404 && rep.errCode() == "MANIFEST_UNKNOWN"
	k.answered(o, rep.code, ok)
	if !ok {
		k.fail.add("manifest DELETE", rep.String(), "%s: DELETE manifests/%s: %v, want 202 or 404 MANIFEST_UNKNOWN", k.where, ref, rep)
	}
	return nil
}

// race PUTs m under tag while another request DELETEs m by digest.
func (k *killTest) race(c *kclient, tag string, m *manRec) error {
	errs := make(chan error, 1)
	go func() { errs <- k.del(c, opDelDigest, "", m.dgst) }()
	err := k.putManifest(c, opPutTag, tag, m)
	if derr := <-errs; err == nil {
		err = derr
	}
	return err
}

// retry re-sends what the last kill interrupted: uploads, then manifest PUTs.
func (k *killTest) retry(c *kclient) {
	k.mu.Lock()
	ups, puts := k.lostUploads, k.lostPuts
	k.lostUploads, k.lostPuts = nil, nil
	k.retries += len(ups) + len(puts)
	k.mu.Unlock()
	for _, u := range ups {
		k.retryUpload(c, u)
	}
	for _, o := range puts {
		k.mu.Lock()
		m := k.mans[o.dgst]
		k.mu.Unlock()
		if err := k.putManifest(c, o.kind, o.tag, m); err != nil {
			k.fail.add("retry", o.String(), "%s: re-sending %s: %v", k.where, o, err)
		}
	}
}

// newUpload prepares an upload of new random bytes (now and then of an acknowledged blob
// again): monolithic (POST, PUT with the bytes) or chunked (POST, PATCH, PATCH, PUT with the
// last chunk).
func (k *killTest) newUpload(r *rand.Rand, chunked bool) *blobUpload {
	size := func(max int) int {
		if r.IntN(10) == 0 {
			max = 256 << 10
		}
		return 1 + r.IntN(max)
	}
	var pieces [][]byte
	k.mu.Lock()
	if len(k.ackedBlobs) > 0 && r.IntN(20) == 0 {
		data := k.ackedBlobs[r.IntN(len(k.ackedBlobs))].data
		k.mu.Unlock()
		pieces = [][]byte{data}
		if chunked && len(data) >= 3 {
			a, b := len(data)/3, 2*len(data)/3
			pieces = [][]byte{data[:a], data[a:b], data[b:]}
		}
	} else {
		k.mu.Unlock()
		n := 1
		if chunked {
			n = 3
		}
		for range n {
			p := make([]byte, size(64<<10/n))
			crand.Read(p)
			pieces = append(pieces, p)
		}
	}
	var data []byte
	for _, p := range pieces {
		data = append(data, p...)
	}
	d := digest.FromBytes(data)
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.blobs[d]
	if b == nil {
		b = &blobRec{dgst: d, data: data}
		k.blobs[d] = b
	}
	return &blobUpload{b: b, pieces: pieces}
}

// blobUpload is one upload of a blob and how far it got.
type blobUpload struct {
	b       *blobRec
	pieces  [][]byte // monolithic: one piece, sent with the PUT; chunked: PATCHes, then the PUT
	loc     string   // session path from the last answer; "" until the POST was answered
	next    int      // the next piece to PATCH
	offset  int      // bytes acknowledged by PATCH answers
	putSent bool     // the final PUT went out
	round   int      // when the upload was interrupted
}

func (u *blobUpload) chunked() bool { return len(u.pieces) > 1 }

func (u *blobUpload) kind() string {
	if u.chunked() {
		return "chunked"
	}
	return "monolithic"
}

// putHeaders are the final PUT's headers: with a Content-Range if the upload is chunked.
func (u *blobUpload) putHeaders() []string {
	h := []string{"Content-Type", "application/octet-stream"}
	if u.chunked() {
		last := len(u.pieces[len(u.pieces)-1])
		h = append(h, "Content-Range", fmt.Sprintf("%d-%d", u.offset, u.offset+last-1))
	}
	return h
}

// push runs u from where it is to the answer of its final PUT; it returns the answer of the
// last request and its name, or the transport error that interrupted it.
func (k *killTest) push(c *kclient, u *blobUpload) (*reply, string, error) {
	if u.loc == "" {
		rep, err := c.do("POST", "/v2/"+killRepo+"/blobs/uploads/", nil)
		if err != nil || rep.code != 202 {
			return rep, "POST", err
		}
		k.inc(&k.acked)
		u.loc = sessionPath(rep.h.Get("Location"))
	}
	for ; u.next < len(u.pieces)-1; u.next++ {
		p := u.pieces[u.next]
		rep, err := c.do("PATCH", u.loc, p, "Content-Type", "application/octet-stream",
			"Content-Range", fmt.Sprintf("%d-%d", u.offset, u.offset+len(p)-1))
		if err != nil || rep.code != 202 {
			return rep, "PATCH", err
		}
		k.inc(&k.acked)
		u.offset += len(p)
		if loc := rep.h.Get("Location"); loc != "" {
			u.loc = sessionPath(loc)
		}
	}
	u.putSent = true
	rep, err := c.do("PUT", withDigest(u.loc, u.b.dgst), u.pieces[len(u.pieces)-1], u.putHeaders()...)
	return rep, "PUT", err
}

// inc adds 1 to counter n of k.
func (k *killTest) inc(n *int) {
	k.mu.Lock()
	*n++
	k.mu.Unlock()
}

// upload runs a new upload; one the kill interrupts is kept for retry.
func (k *killTest) upload(c *kclient, u *blobUpload) error {
	rep, step, err := k.push(c, u)
	if err != nil {
		k.mu.Lock()
		k.lost++
		u.round = k.round
		k.lostUploads = append(k.lostUploads, u)
		u.b.history += fmt.Sprintf("; %s upload lost in round %d at its %s", u.kind(), k.round, step)
		k.mu.Unlock()
		return err
	}
	k.finishUpload(u, rep, step, "")
	return nil
}

// finishUpload records the answer to u's last request: a 201 acknowledges the blob.
func (k *killTest) finishUpload(u *blobUpload, rep *reply, step, how string) bool {
	if rep.code != 201 || step != "PUT" {
		k.fail.add("upload", step+" "+rep.String(), "%s: %s of a %s upload%s of blob %s (%d bytes): %v",
			k.where, step, u.kind(), how, short(u.b.dgst), len(u.b.data), rep)
		return false
	}
	if got := rep.h.Get("Docker-Content-Digest"); got != u.b.dgst.String() {
		k.fail.add("upload", u.b.dgst.String(), "%s: PUT of blob %s: 201 with Docker-Content-Digest %q", k.where, u.b.dgst, got)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.acked++
	if !u.b.acked {
		u.b.acked, u.b.round = true, k.round
		k.ackedBlobs = append(k.ackedBlobs, u.b)
	}
	u.b.history += fmt.Sprintf("; %s upload%s got 201 in round %d", u.kind(), how, k.round)
	return true
}

// retryUpload continues an interrupted upload as a client would: re-send the final PUT if it
// went out (201, or 404 BLOB_UPLOAD_UNKNOWN and a new session; 416 for a chunk the session
// already holds and a resume), else resume the session from the size it reports. A blob
// acknowledged by a retry is read back at once.
func (k *killTest) retryUpload(c *kclient, u *blobUpload) {
	how := fmt.Sprintf(" (retry of the one lost in round %d)", u.round)
	switch {
	case u.loc == "":
		k.redo(c, u, how)
	case u.putSent:
		rep, err := c.do("PUT", withDigest(u.loc, u.b.dgst), u.pieces[len(u.pieces)-1], u.putHeaders()...)
		if err == nil && rep.code != 201 {
			k.mu.Lock()
			u.b.history += fmt.Sprintf("; its final PUT re-sent in round %d got %d %s", k.round, rep.code, rep.errCode())
			k.mu.Unlock()
		}
		switch {
		case err != nil:
			k.fail.add("retry", u.loc, "%s: re-sent PUT %s: %v", k.where, u.loc, err)
		case rep.code == 201:
			if k.finishUpload(u, rep, "PUT", how+" by its re-sent final PUT") {
				k.checkBlob(c, u.b)
			}
		case rep.code == 404 && rep.errCode() == "BLOB_UPLOAD_UNKNOWN":
			k.inc(&k.redone)
			k.redo(c, u, how)
		case rep.code == 416 && u.chunked():
			k.inc(&k.resumed)
			k.resume(c, u, how)
		default:
			k.fail.add("retried upload PUT", u.b.dgst.String(), "%s: re-sent final PUT of the %s upload of blob %s (%d bytes; session %s, PUT lost in round %d): %v, want 201 or 404 BLOB_UPLOAD_UNKNOWN",
				k.where, u.kind(), u.b.dgst, len(u.b.data), u.loc, u.round, rep)
			k.redo(c, u, how)
		}
	default:
		k.resume(c, u, how)
	}
}

// resume asks the session how many bytes it holds and sends the rest.
func (k *killTest) resume(c *kclient, u *blobUpload, how string) {
	rep, err := c.do("GET", u.loc, nil)
	switch {
	case err != nil:
		k.fail.add("retry", u.loc, "%s: GET %s: %v", k.where, u.loc, err)
		return
	case rep.code == 404 && rep.errCode() == "BLOB_UPLOAD_UNKNOWN":
		k.redo(c, u, how)
		return
	case rep.code != 204:
		k.fail.add("upload status", rep.String(), "%s: GET %s: %v, want 204", k.where, u.loc, rep)
		k.redo(c, u, how)
		return
	}
	have := 0
	var end int
	if _, err := fmt.Sscanf(rep.h.Get("Range"), "0-%d", &end); err == nil && end > 0 {
		have = end + 1
	}
	if have < u.offset || have > len(u.b.data) {
		k.fail.add("upload status", u.loc, "%s: session %s of blob %s reports Range %q after the restart; PATCH answers acknowledged %d of its %d bytes",
			k.where, u.loc, short(u.b.dgst), rep.h.Get("Range"), u.offset, len(u.b.data))
		if have > len(u.b.data) {
			k.redo(c, u, how)
			return
		}
	}
	if loc := rep.h.Get("Location"); loc != "" {
		u.loc = sessionPath(loc)
	}
	if have < len(u.b.data) {
		rep, err = c.do("PATCH", u.loc, u.b.data[have:], "Content-Type", "application/octet-stream",
			"Content-Range", fmt.Sprintf("%d-%d", have, len(u.b.data)-1))
		if err != nil || rep.code != 202 {
			k.fail.add("upload", u.loc, "%s: resuming PATCH %s at %d: %v %v", k.where, u.loc, have, rep, err)
			return
		}
		if loc := rep.h.Get("Location"); loc != "" {
			u.loc = sessionPath(loc)
		}
	}
	rep, err = c.do("PUT", withDigest(u.loc, u.b.dgst), nil)
	if err != nil {
		k.fail.add("retry", u.loc, "%s: resuming PUT %s: %v", k.where, u.loc, err)
	} else if k.finishUpload(u, rep, "PUT", how+" resumed at byte "+strconv.Itoa(have)) {
		k.checkBlob(c, u.b)
	}
}

// redo uploads u's bytes again from a new session.
func (k *killTest) redo(c *kclient, u *blobUpload, how string) {
	nu := &blobUpload{b: u.b, pieces: u.pieces}
	rep, step, err := k.push(c, nu)
	if err != nil {
		k.fail.add("retry", u.b.dgst.String(), "%s: new upload of blob %s: %v", k.where, u.b.dgst, err)
	} else if k.finishUpload(nu, rep, step, how+" redone in a new session") {
		k.checkBlob(c, u.b)
	}
}

// reply is one HTTP answer, body read in full.
type reply struct {
	code int
	h    http.Header
	body []byte
}

// errCode is the first OCI error code of the body, "" if there is none.
func (r *reply) errCode() string {
	var e struct{ Errors []struct{ Code string } }
	if json.Unmarshal(r.body, &e) == nil && len(e.Errors) > 0 {
		return e.Errors[0].Code
	}
	return ""
}

func (r *reply) String() string {
	b := strings.TrimSpace(string(r.body))
	if len(b) > 200 {
		b = b[:200] + "…"
	}
	return fmt.Sprintf("%d %s", r.code, b)
}

// kclient sends requests to one server process. A transport error means the process is gone.
type kclient struct {
	hc   *http.Client
	base string
}

func newKClient(addr string) *kclient {
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	return &kclient{hc: &http.Client{Transport: tr, Timeout: 20 * time.Second}, base: "http://" + addr}
}

// do sends method path (a path with optional query, relative to the server) with body and
// header pairs.
func (c *kclient) do(method, path string, body []byte, hdr ...string) (*reply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &reply{code: res.StatusCode, h: res.Header, body: b}, nil
}

// sessionPath is the path and query of an upload Location, so that a session URL given by one
// server process can be retried against the next one on another port.
func sessionPath(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || u.Path == "" {
		return loc
	}
	return u.RequestURI()
}

// withDigest adds ?digest=d to a session path.
func withDigest(loc string, d digest.Digest) string {
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	return loc + sep + "digest=" + url.QueryEscape(d.String())
}
