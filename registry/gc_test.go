package registry

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// What a collection removes: blobs no manifest uses once older than the grace period, stale
// sessions; never a referenced blob or a manifest. The dry run reports exactly what the
// real run then removes.
func TestGCRemovesOnlyGarbage(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	used := tr.pushBlob("eo/a", []byte("a band in a product"))
	unused := tr.pushBlob("eo/a", []byte("uploaded, never used"))
	tr.pushBlob("eo/b", []byte("uploaded, never used")) // the same blob linked twice
	lone := tr.pushBlob("eo/c", []byte("only blob of eo/c"))
	body, md := manifestJSON(t, "", nil, used)
	tr.pushManifest("eo/a", "v1", body)
	untagged, ud := manifestJSON(t, "application/vnd.test.untagged", nil)
	tr.pushManifest("eo/a", ud.String(), untagged)
	loc := tr.do("POST", "/v2/eo/a/blobs/uploads/", nil).header.Get("Location")
	tr.do("PATCH", loc, []byte("abandoned"))

	if rep, err := tr.st.GC(t.Context(), time.Hour, false); err != nil || rep != (GCReport{}) {
		t.Fatalf("within the grace period: %+v %v", rep, err)
	}
	dry, err := tr.st.GC(t.Context(), -time.Second, true)
	if err != nil {
		t.Fatal(err)
	}
	want := GCReport{Sessions: 1, SessionBytes: 9, Links: 3, Blobs: 2, BlobBytes: unused.Size + lone.Size}
	if got := dry; got.DryRun != true || (GCReport{got.Sessions, got.SessionBytes, got.Links, got.Blobs, got.BlobBytes, false}) != want {
		t.Fatalf("dry run %+v, want %+v", got, want)
	}
	expect(t, "dry run changed nothing", tr.do("GET", "/v2/eo/b/blobs/"+unused.Digest.String(), nil), 200, "")
	rep, err := tr.st.GC(t.Context(), -time.Second, false)
	if err != nil || rep != want {
		t.Fatalf("gc %+v %v, want %+v", rep, err, want)
	}
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/v2/eo/a/blobs/" + used.Digest.String(), 200},
		{"/v2/eo/a/manifests/v1", 200},
		{"/v2/eo/a/manifests/" + ud.String(), 200},
		{"/v2/eo/a/manifests/" + md.String(), 200},
		{"/v2/eo/a/blobs/" + ocispec.DescriptorEmptyJSON.Digest.String(), 200},
		{"/v2/eo/a/blobs/" + unused.Digest.String(), 404},
		{"/v2/eo/b/blobs/" + unused.Digest.String(), 404},
		{"/v2/eo/c/blobs/" + lone.Digest.String(), 404},
		{loc, 404},
	} {
		if r := tr.do("GET", c.path, nil); r.status != c.status {
			t.Errorf("GET %s after gc: %d, want %d", c.path, r.status, c.status)
		}
	}
	if r := tr.do("GET", "/v2/_catalog", nil); string(r.body) != `{"repositories":["eo/a"]}` {
		t.Errorf("catalog after gc: %s", r.body)
	}
	// the removed blob can be pushed again
	tr.pushBlob("eo/b", []byte("uploaded, never used"))
	if r := tr.do("GET", "/v2/eo/b/blobs/"+unused.Digest.String(), nil); string(r.body) != "uploaded, never used" {
		t.Fatalf("re-pushed blob: %d %q", r.status, r.body)
	}
}

// Collections running without a grace period while clients push: a blob may be collected
// between its upload and its manifest (the client then uploads it again), but every
// acknowledged manifest's blobs are there afterwards with their bytes, and nothing is ever
// served under a digest it does not match.
func TestGCOnlineDuringPushes(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	stop := make(chan struct{})
	var gcs atomic.Int64
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := tr.st.GC(t.Context(), 0, false); err != nil {
				t.Errorf("gc: %v", err)
				return
			}
			gcs.Add(1)
		}
	}()
	type pushed struct {
		repo  string
		layer []byte
	}
	var mu sync.Mutex
	var acked []pushed
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := fmt.Sprintf("eo/w%d", w%2)
			for i := range 15 {
				layer := []byte(fmt.Sprintf("layer %d of worker %d", i, w))
				d := digest.FromBytes(layer)
				desc := ocispec.Descriptor{MediaType: "image/tiff", Digest: d, Size: int64(len(layer))}
				body, _ := manifestJSON(t, "", nil, desc)
				for try := 0; ; try++ {
					tr.do("POST", "/v2/"+repo+"/blobs/uploads/?digest="+ocispec.DescriptorEmptyJSON.Digest.String(), ocispec.DescriptorEmptyJSON.Data)
					tr.do("POST", "/v2/"+repo+"/blobs/uploads/?digest="+d.String(), layer)
					r := tr.do("PUT", fmt.Sprintf("/v2/%s/manifests/t%d-%d", repo, w, i), body, "Content-Type", ocispec.MediaTypeImageManifest)
					if r.status == 201 {
						break
					}
					if r.errCode() != "MANIFEST_BLOB_UNKNOWN" || try > 50 {
						t.Errorf("manifest PUT: %d %s", r.status, r.body)
						return
					}
				}
				mu.Lock()
				acked = append(acked, pushed{repo, layer})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-gcDone
	tr.st.GC(t.Context(), 0, false)
	for _, p := range acked {
		d := digest.FromBytes(p.layer)
		r := tr.do("GET", "/v2/"+p.repo+"/blobs/"+d.String(), nil)
		if r.status != 200 || !bytes.Equal(r.body, p.layer) {
			t.Fatalf("%s blob %s of an acknowledged manifest: %d %q", p.repo, d, r.status, r.body)
		}
	}
	if len(acked) != 60 || gcs.Load() < 2 {
		t.Fatalf("%d manifests acknowledged, %d collections ran", len(acked), gcs.Load())
	}
	t.Logf("%d collections ran during 60 pushes", gcs.Load())
}

// A blob that nothing uses, stored before a collection starts, is pushed again and the
// collection reaches it between the bytes' store and their record: the collection waits
// for the record, and the blob stays.
func TestGCDuringRepush(t *testing.T) {
	tr := newTestRegistry(t, Options{})
	data := []byte("a band pushed again")
	desc := tr.pushBlob("eo/a", data)
	time.Sleep(5 * time.Millisecond) // the blob's last use is before the collection starts
	gcDone := make(chan error, 1)
	testHookStored = func() {
		go func() {
			_, err := tr.st.GC(t.Context(), 0, false)
			gcDone <- err
		}()
		time.Sleep(300 * time.Millisecond) // time for a collection that does not wait
	}
	t.Cleanup(func() { testHookStored = nil })
	r := tr.do("POST", "/v2/eo/b/blobs/uploads/?digest="+desc.Digest.String(), data)
	testHookStored = nil
	expect(t, "monolithic push of a stored blob", r, http.StatusCreated, "")
	if err := <-gcDone; err != nil {
		t.Fatal(err)
	}
	if r := tr.do("GET", "/v2/eo/b/blobs/"+desc.Digest.String(), nil); r.status != 200 || !bytes.Equal(r.body, data) {
		t.Fatalf("after the collection: %d %q", r.status, r.body)
	}
}
