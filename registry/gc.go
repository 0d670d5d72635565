package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eopack/eopack/blobstore"
	"github.com/eopack/eopack/metadata"
)

// Garbage collection runs online, while pushes go on. The metadata decides what is
// referenced; the grace period covers uploads in flight:
//  1. upload sessions not written for the grace period are removed (record and bytes), and
//     session bytes no record names (a crash before the record was made) once as old;
//  2. blob links older than the grace period that no manifest of their repository
//     references (uploaded, never used) are dropped;
//  3. blobs no repository links and no manifest references, unchanged for the grace
//     period, are forgotten and their bytes removed, each under the blob's lock, which
//     upload completion and mount also take, so a blob being re-uploaded or mounted right
//     now is either kept or put back after removal, never recorded without its bytes;
//  4. bytes in the blob store that no record names (a crash between storing and recording)
//     go once they are older than the grace period.
// Manifests are never collected: untagged manifests (referrers, index children) stay until
// deleted.

// GCReport counts what a collection removed (or, dry, would remove).
type GCReport struct {
	Sessions     int
	SessionBytes int64
	Links        int
	Blobs        int
	BlobBytes    int64
	DryRun       bool
}

func (r GCReport) String() string {
	verb := "removed"
	if r.DryRun {
		verb = "would remove"
	}
	return fmt.Sprintf("gc %s %d blobs (%d bytes), %d unused blob links, %d stale upload sessions (%d bytes)",
		verb, r.Blobs, r.BlobBytes, r.Links, r.Sessions, r.SessionBytes)
}

// ErrGCRunning: another collection holds the store (one runs at a time across every server
// sharing the metadata).
var ErrGCRunning = errors.New("another garbage collection is running on this storage")

// GC collects garbage older than grace. With dryRun nothing changes; blobs that only
// dropped links would free are counted as the real run would remove them.
func (s *Storage) GC(ctx context.Context, grace time.Duration, dryRun bool) (GCReport, error) {
	rep := GCReport{DryRun: dryRun}
	if !dryRun {
		unlock, ok, err := s.Meta.TryLock(ctx, "gc")
		if err != nil {
			return rep, err
		}
		if !ok {
			return rep, ErrGCRunning
		}
		defer unlock()
	}
	before := time.Now().Add(-grace)
	if err := s.gcSessions(ctx, before, &rep); err != nil {
		return rep, err
	}
	links, err := s.Meta.UnreferencedLinks(ctx, before)
	if err != nil {
		return rep, err
	}
	freed := map[string]int{} // digest → links dropped (dry run: would be)
	for _, l := range links {
		ok := true
		if !dryRun {
			if ok, err = s.Meta.DropLink(ctx, l); err != nil {
				return rep, err
			}
		}
		if ok {
			rep.Links++
			freed[l.Digest.String()]++
		}
	}
	unused, err := s.Meta.UnusedBlobs(ctx, before)
	if err != nil {
		return rep, err
	}
	if dryRun {
		more, err := s.freedByLinks(ctx, links, freed)
		if err != nil {
			return rep, err
		}
		unused = append(unused, more...)
	}
	for _, b := range unused {
		gone, err := s.collectBlob(ctx, b, before, dryRun)
		if err != nil {
			return rep, err
		}
		if gone {
			rep.Blobs++
			rep.BlobBytes += b.Size
		}
	}
	return rep, s.gcStray(ctx, before, &rep)
}

// collectBlob forgets blob b and removes its bytes under the blob's lock.
func (s *Storage) collectBlob(ctx context.Context, b metadata.BlobInfo, before time.Time, dryRun bool) (bool, error) {
	if dryRun {
		return true, nil
	}
	unlock, err := s.Meta.LockBlob(ctx, b.Digest)
	if err != nil {
		return false, err
	}
	defer unlock()
	gone, err := s.Meta.ForgetBlob(ctx, b.Digest, before)
	if err != nil || !gone {
		return false, err
	}
	return true, s.Blobs.Delete(ctx, b.Digest)
}

// freedByLinks is, for a dry run, the blobs that dropping links would leave unused.
func (s *Storage) freedByLinks(ctx context.Context, links []metadata.Link, freed map[string]int) ([]metadata.BlobInfo, error) {
	var out []metadata.BlobInfo
	seen := map[string]bool{}
	for _, l := range links {
		key := l.Digest.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		n, referenced, err := s.Meta.BlobUse(ctx, l.Digest)
		if err != nil {
			return nil, err
		}
		if !referenced && n == freed[key] {
			out = append(out, metadata.BlobInfo{Digest: l.Digest, Size: l.Size})
		}
	}
	return out, nil
}

// gcSessions removes upload sessions not written since before, record and bytes.
func (s *Storage) gcSessions(ctx context.Context, before time.Time, rep *GCReport) error {
	stale, err := s.Meta.StaleUploads(ctx, before)
	if err != nil {
		return err
	}
	for _, u := range stale {
		if rep.DryRun {
			rep.Sessions++
			rep.SessionBytes += u.Size
			continue
		}
		unlock, ok, err := s.lockSession(ctx, u.ID, 0)
		if err != nil {
			return err
		}
		if !ok {
			continue // a request is writing it right now
		}
		// Written since it was listed (by a request that has ended meanwhile): keep it.
		if cur, err := s.Meta.Upload(ctx, u.ID); err != nil || cur.Updated.After(before) {
			unlock()
			continue
		}
		err = s.Meta.DeleteUpload(ctx, u.ID)
		if err == nil {
			s.Blobs.Abort(ctx, u.ID, u.BlobState)
			rep.Sessions++
			rep.SessionBytes += u.Size
		}
		unlock()
		if err != nil && !errors.Is(err, metadata.ErrUploadUnknown) {
			return err
		}
	}
	return nil
}

// gcStray removes session bytes and blob bytes that no record names, once older than before.
func (s *Storage) gcStray(ctx context.Context, before time.Time, rep *GCReport) error {
	var orphans []blobstore.UploadInfo
	err := s.Blobs.WalkUploads(ctx, func(u blobstore.UploadInfo) error {
		if u.ModTime.Before(before) {
			orphans = append(orphans, u)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range orphans {
		if _, err := s.Meta.Upload(ctx, o.ID); !errors.Is(err, metadata.ErrUploadUnknown) {
			continue
		}
		rep.Sessions++
		rep.SessionBytes += o.Size
		if !rep.DryRun {
			s.Blobs.Abort(ctx, o.ID, nil)
		}
	}
	var stray []blobstore.Info
	err = s.Blobs.Walk(ctx, func(b blobstore.Info) error {
		if b.ModTime.Before(before) {
			stray = append(stray, b)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, b := range stray {
		if err := s.removeUnrecorded(ctx, b, rep); err != nil {
			return err
		}
	}
	if sw, ok := s.Blobs.(interface {
		SweepTemp(context.Context, time.Duration) (int, error)
	}); ok && !rep.DryRun {
		sw.SweepTemp(ctx, time.Since(before))
	}
	return nil
}

// removeUnrecorded removes blob bytes the metadata does not record, under the blob's lock.
func (s *Storage) removeUnrecorded(ctx context.Context, b blobstore.Info, rep *GCReport) error {
	unlock, err := s.Meta.LockBlob(ctx, b.Digest)
	if err != nil {
		return err
	}
	defer unlock()
	known, err := s.Meta.HasBlobRecord(ctx, b.Digest)
	if err != nil || known {
		return err
	}
	rep.Blobs++
	rep.BlobBytes += b.Size
	if rep.DryRun {
		return nil
	}
	return s.Blobs.Delete(ctx, b.Digest)
}

// gcLoop collects garbage every interval until ctx is done.
func (s *Storage) gcLoop(ctx context.Context, interval, grace time.Duration, logf func(string, ...any)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rep, err := s.GC(ctx, grace, false)
			if errors.Is(err, ErrGCRunning) {
				continue // another server is collecting
			}
			if err != nil && ctx.Err() == nil {
				logf("gc: %v", err)
			} else if rep.Blobs+rep.Links+rep.Sessions > 0 {
				logf("%s", rep)
			}
		}
	}
}
