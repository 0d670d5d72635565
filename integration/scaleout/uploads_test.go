package scaleout

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

const mib = 1 << 20

// 50 chunked uploads of 1, 7 and 3 MiB chunks in random orders (so session tails below S3's
// 5 MiB part minimum come and go), 5 at a time, every request to a random replica; each
// blob is then read back whole from every replica.
func TestChunkedUploadsAnyReplica(t *testing.T) {
	c := newCluster(t, 3)
	type result struct {
		d    digest.Digest
		size int64
	}
	results := make([]result, 50)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 5)
	for i := range results {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rnd := rand.New(rand.NewPCG(uint64(i), 7))
			pick := func() string { return c.replicas[rnd.IntN(len(c.replicas))].Addr }
			sizes := []int{1 * mib, 7 * mib, 3 * mib}
			rnd.Shuffle(len(sizes), func(a, b int) { sizes[a], sizes[b] = sizes[b], sizes[a] })
			sizes = sizes[:1+rnd.IntN(3)]
			sizes = append(sizes, rnd.IntN(64<<10)+1) // an odd last chunk
			var chunks [][]byte
			var total int64
			for k, n := range sizes {
				chunks = append(chunks, data(n, uint64(i*10+k)))
				total += int64(n)
			}
			results[i] = result{chunkedUpload(t, pick, "eo/chunked", chunks), total}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, r := range results {
		for _, rep := range c.replicas {
			checkBlob(t, rep.Addr, "eo/chunked", r.d, r.size)
		}
	}
}

// A replica is SIGKILLed in the middle of a 48 MiB PATCH; the client asks another replica
// where the session stands (the Location it last got), sends the rest there, completes on a
// third, and every replica serves the blob byte for byte.
func TestReplicaKilledMidUpload(t *testing.T) {
	c := newCluster(t, 3)
	a, b, third := c.replicas[0], c.replicas[1], c.replicas[2]
	blob := data(48*mib, 99)
	d := digest.FromBytes(blob)
	loc := expect(t, http.StatusAccepted, a.Addr, "POST", "/v2/eo/killed/blobs/uploads/", nil).Get("Location")

	// Stream the body slowly enough that the kill lands in the middle of it.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		st, _, body, err := call(a.Addr, "PATCH", loc, pr, -1, "Content-Type", "application/octet-stream")
		if err == nil {
			err = fmt.Errorf("PATCH to the killed replica answered %d %s", st, body)
		}
		done <- err
	}()
	sent := 0
	for sent < 40*mib {
		n := min(mib, len(blob)-sent)
		if _, err := pw.Write(blob[sent : sent+n]); err != nil {
			t.Fatalf("writing the body after %d bytes: %v", sent, err)
		}
		sent += n
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let the replica take its checkpoints
	a.Stop()                           // SIGKILL
	pw.CloseWithError(io.ErrClosedPipe)
	<-done

	hd := expect(t, http.StatusNoContent, b.Addr, "GET", loc, nil)
	rng := hd.Get("Range")
	end, err := strconv.Atoi(strings.TrimPrefix(rng, "0-"))
	if err != nil || !strings.HasPrefix(rng, "0-") {
		t.Fatalf("status on another replica: Range %q", rng)
	}
	acked := end + 1
	if acked < 16*mib || acked > sent {
		t.Fatalf("acknowledged %d bytes of %d sent; want at least one checkpoint (16 MiB)", acked, sent)
	}
	t.Logf("killed after %d bytes sent, %d acknowledged", sent, acked)
	hd = expect(t, http.StatusAccepted, b.Addr, "PATCH", hd.Get("Location"), blob[acked:],
		"Content-Type", "application/octet-stream", "Content-Range", fmt.Sprintf("%d-%d", acked, len(blob)-1))
	expect(t, http.StatusCreated, third.Addr, "PUT", withQuery(hd.Get("Location"), "digest="+d.String()), nil)
	c.replicas[0] = c.startReplica() // the killed one comes back on the same storage
	for _, rep := range c.replicas {
		checkBlob(t, rep.Addr, "eo/killed", d, int64(len(blob)))
	}
}
