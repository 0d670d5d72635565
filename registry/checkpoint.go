package registry

import (
	"context"
	"sync"
	"time"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/metadata"
)

// What a chunk's 202 guarantees. The session's size in the metadata (what GET status and
// every other server read) never runs ahead of the bytes that are durable in the blob store:
// a checkpoint syncs the bytes first, then records them with the hash state of exactly those
// bytes. With a blob store that can append without syncing (blobstore.Streamer, the
// filesystem), a PATCH of tailMin bytes or more is answered 202 once its bytes are written,
// and its checkpoint goes to a tail that keeps the session's lock:
//   - the session's next request on the same server takes the tail over and goes on writing
//     at once; checkpoints then come about once per checkpointInterval, as in a long body;
//   - if none comes within tailWait, the tail records the acknowledged size and releases the
//     lock, so another server sharing the metadata, which waits for the lock, reads it;
//   - after a crash the metadata holds the last recorded checkpoint, whose bytes are
//     durable: GET status reports that Range, a chunk sent with Content-Range past it is
//     answered 416 with it, and the client sends the rest again. Acknowledged bytes can be
//     lost by a crash (at most about a second's worth), never silently.
// A PATCH waits for a running checkpoint of its session before it answers, so they never
// queue up. A PUT that completes the session waits for it too, then syncs and commits as
// before, so its 201 means the blob is durable. Blob stores without Streamer (S3) record each
// chunk before answering.

// checkpoints records one session's progress in the background, one checkpoint at a time:
// the bytes are made durable (Streamer stores), then the metadata records them. A session's
// checkpoints go from request to request with its tail, so the interval between them counts
// across requests.
type checkpoints struct {
	st       *Storage
	streamer blobstore.Streamer
	ctx      context.Context
	recorded metadata.Upload // as the metadata holds it
	err      error
	busy     chan struct{} // closed when the running checkpoint is done; nil if none runs
	started  time.Time     // when the last checkpoint started
}

func newCheckpoints(st *Storage, ctx context.Context, recorded metadata.Upload) *checkpoints {
	streamer, _ := st.Blobs.(blobstore.Streamer)
	return &checkpoints{st: st, streamer: streamer, ctx: context.WithoutCancel(ctx), recorded: recorded}
}

// offer starts a checkpoint at next unless one is still running or the last one started
// less than checkpointInterval ago (then next is skipped: a later one covers it).
func (c *checkpoints) offer(next metadata.Upload) {
	if !c.idle() || c.err != nil || (!c.started.IsZero() && time.Since(c.started) < checkpointInterval) {
		return
	}
	c.then(next, nil)
}

// then starts a checkpoint at next once the running one (if any) is done, whatever the
// interval; after is called (if not nil) when it is done, before wait returns.
func (c *checkpoints) then(next metadata.Upload, after func()) {
	prev := c.busy
	done := make(chan struct{})
	c.busy = done
	c.started = time.Now()
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		if c.err == nil {
			c.run(next)
		}
		if after != nil {
			after()
		}
	}()
}

// idle reports whether no checkpoint is running.
func (c *checkpoints) idle() bool {
	if c.busy == nil {
		return true
	}
	select {
	case <-c.busy:
		c.busy = nil
		return true
	default:
		return false
	}
}

// run records next: sync, then the metadata's compare-and-set from what it holds now.
func (c *checkpoints) run(next metadata.Upload) {
	var err error
	if c.streamer != nil {
		err = c.streamer.SyncUpload(c.ctx, next.ID, next.BlobState, next.Size)
	}
	if err == nil {
		err = c.st.Meta.UpdateUpload(c.ctx, next, c.recorded.Size)
	}
	if err != nil {
		c.err = err
		return
	}
	c.recorded = next
}

// wait waits for the running checkpoint, if any.
func (c *checkpoints) wait() {
	if c.busy != nil {
		<-c.busy
		c.busy = nil
	}
}

// hold is a request's hold on an upload session: the session's lock, the session as
// acknowledged to the client, and its checkpoints.
type hold struct {
	u      metadata.Upload
	ck     *checkpoints
	unlock func()
	handed bool // the lock went to a tail
}

// release waits for the session's checkpoints and unlocks it, unless a tail took the lock.
func (s *hold) release() {
	if s.handed {
		return
	}
	s.ck.wait()
	s.unlock()
}

// settle waits for the session's checkpoints; an error of one is the request's error.
func (s *hold) settle() error {
	s.ck.wait()
	return s.ck.err
}

// tails are this server's sessions whose last chunk was answered while its checkpoint still
// runs, by session id. Only the session's lock and the running work are kept here; what a
// session holds is in the stores.
type tails struct {
	mu sync.Mutex
	m  map[string]*tail
}

type tail struct {
	s       *hold         // the hold of the request that answered, as it was then
	taken   bool          // a later request took the hold over
	takenCh chan struct{} // closed when taken
}

// tailWait is how long a tail waits for the session's next request before it records the
// acknowledged size; a checkpoint older than checkpointInterval is taken at once.
const tailWait = 250 * time.Millisecond

// handOff answers s's request before its last checkpoint, at acked: the session's lock and
// the checkpoint go to a tail, which waits for the session's next request on this server to
// take them over (take) for up to tailWait, or none if a checkpoint is overdue; otherwise it
// records acked in the background and then releases the lock. A session uploaded chunk
// after chunk is thus recorded about once per checkpointInterval, as a long PUT body is,
// not once per chunk.
func (ts *tails) handOff(s *hold, acked metadata.Upload) {
	s.u = acked
	s.handed = true
	t := &tail{s: s, takenCh: make(chan struct{})}
	ts.mu.Lock()
	if ts.m == nil {
		ts.m = map[string]*tail{}
	}
	ts.m[acked.ID] = t
	wait := tailWait
	if s.ck.started.IsZero() || time.Since(s.ck.started) >= checkpointInterval {
		wait = 0
	}
	ts.mu.Unlock()
	go func() {
		if wait > 0 {
			timer := time.NewTimer(wait)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-t.takenCh:
				return
			}
		}
		ts.mu.Lock()
		defer ts.mu.Unlock()
		if t.taken {
			return
		}
		s.ck.then(acked, func() {
			ts.mu.Lock()
			taken := t.taken
			if !taken && ts.m[acked.ID] == t {
				delete(ts.m, acked.ID)
			}
			ts.mu.Unlock()
			if !taken {
				s.unlock()
			}
		})
	}()
}

// take takes over the tail of session id of repository repo, if this server has one: the
// hold, with its lock and the session as last acknowledged; its checkpoint may still run.
func (ts *tails) take(id, repo string) *hold {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := ts.m[id]
	if t == nil || t.s.u.Repo != repo {
		return nil
	}
	t.taken = true
	close(t.takenCh)
	delete(ts.m, id)
	return &hold{u: t.s.u, ck: t.s.ck, unlock: t.s.unlock}
}

// acked is the size last acknowledged for session id by this server while its checkpoint
// runs, if it has such a tail.
func (ts *tails) acked(id string) (int64, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t := ts.m[id]; t != nil {
		return t.s.u.Size, true
	}
	return 0, false
}
