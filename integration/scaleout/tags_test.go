package scaleout

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
)

// 3 replicas × 10 pushers × 20 distinct tags in one repository: every replica lists all
// 600. Then 20 pushers PUT 20 different manifests to one tag at once, through all replicas:
// the tag ends on one of the 20 acknowledged digests and all 20 manifests stay retrievable.
func TestConcurrentTagsAcrossReplicas(t *testing.T) {
	c := newCluster(t, 3)
	const repo = "eo/tags"
	var wg sync.WaitGroup
	for r, rep := range c.replicas {
		for p := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pick := func() string { return rep.Addr }
				for k := range 20 {
					seed := uint64(r*1000 + p*20 + k)
					if err := newArtifact(seed).push(pick, repo, fmt.Sprintf("r%d-p%d-t%d", r, p, k)); err != nil {
						t.Errorf("replica %d pusher %d tag %d: %v", r, p, k, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, rep := range c.replicas {
		if tags := listTags(t, rep.Addr, repo); len(tags) != 600 {
			t.Errorf("replica %d lists %d of 600 tags", i, len(tags))
		}
	}

	var acked sync.Map // digest → true
	for p := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := newArtifact(uint64(100000 + p))
			pick := func() string { return c.replicas[p%len(c.replicas)].Addr }
			if err := a.push(pick, repo, "latest"); err != nil {
				t.Errorf("pusher %d: %v", p, err)
				return
			}
			acked.Store(a.digest, true)
		}()
	}
	wg.Wait()
	n := 0
	acked.Range(func(k, _ any) bool {
		n++
		for _, rep := range c.replicas {
			expect(t, http.StatusOK, rep.Addr, "GET", "/v2/"+repo+"/manifests/"+k.(digest.Digest).String(), nil,
				"Accept", "application/vnd.oci.image.manifest.v1+json")
		}
		return true
	})
	if n != 20 {
		t.Fatalf("%d of 20 PUTs to one tag acknowledged", n)
	}
	for i, rep := range c.replicas {
		h := expect(t, http.StatusOK, rep.Addr, "HEAD", "/v2/"+repo+"/manifests/latest", nil,
			"Accept", "application/vnd.oci.image.manifest.v1+json")
		d := digest.Digest(h.Get("Docker-Content-Digest"))
		if _, ok := acked.Load(d); !ok {
			t.Errorf("replica %d: tag latest is %q, not one of the acknowledged digests", i, d)
		}
	}
}

// listTags reads every page of repo's tag list from host.
func listTags(t *testing.T, host, repo string) []string {
	t.Helper()
	var all []string
	last := ""
	for {
		path := "/v2/" + repo + "/tags/list?n=250"
		if last != "" {
			path += "&last=" + last
		}
		st, _, body, err := call(host, "GET", path, nil, 0)
		if err != nil || st != http.StatusOK {
			t.Fatalf("tags/list on %s: %d %v %s", host, st, err, body)
		}
		var page struct{ Tags []string }
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Tags...)
		if len(page.Tags) < 250 {
			break
		}
		last = page.Tags[len(page.Tags)-1]
	}
	if !slices.IsSorted(all) {
		t.Errorf("tags from %s not in order", host)
	}
	return slices.Compact(all)
}
