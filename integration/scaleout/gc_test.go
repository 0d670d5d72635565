package scaleout

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Every replica collects garbage every 300 ms with a 3 s grace period while 6 pushers push
// through all of them for 12 s, deleting a third of what they push and leaving
// uploaded-but-never-used blobs behind; the artifacts they keep reuse, as their layer, the
// layer of an artifact deleted more than the grace period ago (a blob being collected
// right then), checking for it with HEAD first as ORAS does. Afterwards every tagged
// artifact pulls with all its blobs, from every replica, and the collections reclaimed bytes.
func TestGCDuringPushes(t *testing.T) {
	c := newCluster(t, 3, "--gc-interval", "300ms", "--upload-ttl", "3s")
	const repo = "eo/gc"
	type grave struct {
		layer []byte
		at    time.Time
	}
	var (
		mu     sync.Mutex
		graves []grave // layers of deleted artifacts
		tagged = map[string]digest.Digest{}
		seq    atomic.Uint64
		wg     sync.WaitGroup
	)
	stop := time.Now().Add(12 * time.Second)
	for p := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pick := func() string { return c.replicas[int(seq.Add(1))%len(c.replicas)].Addr }
			for k := 0; time.Now().Before(stop); k++ {
				seed := uint64(p*100000 + k)
				a := newArtifact(seed)
				if k%3 == 1 {
					mu.Lock()
					if len(graves) > 0 && time.Since(graves[0].at) > 3*time.Second {
						a = newArtifactWith(seed, graves[0].layer)
						graves = graves[1:]
					}
					mu.Unlock()
				}
				tag := fmt.Sprintf("p%d-%d", p, k)
				if err := a.pushAs(pick, repo, tag, true); err != nil {
					t.Errorf("push %s: %v", tag, err)
					return
				}
				switch k % 3 {
				case 0: // deleted: its blobs become garbage once the grace period passes
					expect(t, http.StatusAccepted, pick(), "DELETE", "/v2/"+repo+"/manifests/"+a.digest.String(), nil)
					mu.Lock()
					graves = append(graves, grave{a.layer, time.Now()})
					mu.Unlock()
				case 1: // kept
					mu.Lock()
					tagged[tag] = a.digest
					mu.Unlock()
				case 2: // a blob uploaded and never used
					junk := data(64<<10, uint64(p*100000+k)+1<<40)
					expect(t, http.StatusCreated, pick(), "POST", "/v2/"+repo+"/blobs/uploads/?digest="+digest.FromBytes(junk).String(), junk,
						"Content-Type", "application/octet-stream")
					mu.Lock()
					tagged[tag] = a.digest
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	time.Sleep(4 * time.Second) // a collection after the grace period of the last garbage
	for tag, d := range tagged {
		for _, rep := range c.replicas {
			h := expect(t, http.StatusOK, rep.Addr, "HEAD", "/v2/"+repo+"/manifests/"+tag, nil, "Accept", ocispec.MediaTypeImageManifest)
			if got := h.Get("Docker-Content-Digest"); got != d.String() {
				t.Fatalf("tag %s on %s is %s, want %s", tag, rep.Addr, got, d)
			}
		}
		_, _, body, err := call(c.addr(), "GET", "/v2/"+repo+"/manifests/"+tag, nil, 0, "Accept", ocispec.MediaTypeImageManifest)
		if err != nil {
			t.Fatal(err)
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		for _, b := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
			for _, rep := range c.replicas {
				checkBlob(t, rep.Addr, repo, b.Digest, b.Size)
			}
		}
	}
	for _, rep := range c.replicas {
		rep.Stop() // its log is complete once it has exited
	}
	var reclaimed int64
	runs := regexp.MustCompile(`gc removed (\d+) blobs \((\d+) bytes\)`)
	for _, rep := range c.replicas {
		for _, m := range runs.FindAllStringSubmatch(rep.Log.String(), -1) {
			n, _ := strconv.ParseInt(m[2], 10, 64)
			reclaimed += n
		}
	}
	t.Logf("%d tagged artifacts pull whole from 3 replicas; collections reclaimed %d bytes", len(tagged), reclaimed)
	if reclaimed == 0 {
		t.Fatal("no collection reclaimed any bytes")
	}
}
