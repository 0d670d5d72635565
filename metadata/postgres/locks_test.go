package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/eopack/eopack/metadata/sqlstore"
)

// eventually fails the test unless cond holds within 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLockBlobAcrossStores: a blob's lock excludes holders in two stores (two processes'
// worth) on one database; other digests are not blocked; a waiter gets it on release.
func TestLockBlobAcrossStores(t *testing.T) {
	dsn := pg.NewDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	d, e := digest.FromString("d"), digest.FromString("e")
	unlock, err := a.LockBlob(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	_, err = b.LockBlob(ctx, d)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second store's LockBlob of a held digest: %v, want a deadline error", err)
	}
	unlockE, err := b.LockBlob(t.Context(), e)
	if err != nil {
		t.Fatalf("another digest: %v", err)
	}
	unlockE()

	got := make(chan error, 1)
	var released atomic.Bool
	go func() {
		unlock, err := b.LockBlob(t.Context(), d)
		if err == nil && !released.Load() {
			err = errors.New("acquired while the other store held it")
		}
		if err == nil {
			unlock()
		}
		got <- err
	}()
	time.Sleep(100 * time.Millisecond)
	released.Store(true)
	unlock()
	unlock() // releasing twice is harmless
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting store did not get the released lock")
	}

	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for g := range 8 {
		s := a
		if g%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				unlock, err := s.LockBlob(t.Context(), d)
				if err != nil {
					t.Error(err)
					return
				}
				if inside.Add(1) > 1 {
					overlaps.Add(1)
				}
				time.Sleep(100 * time.Microsecond)
				inside.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()
	if overlaps.Load() > 0 {
		t.Fatalf("%d overlapping holders across two stores", overlaps.Load())
	}
}

// TestLockBlobCancel: ending the context of a LockBlob waiting for a held lock returns the
// context's error, ends the wait on the server, and leaves nothing held once the holder
// releases.
func TestLockBlobCancel(t *testing.T) {
	dsn := pg.NewDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	sys := admin(t, pg.DSN("postgres"))
	d := digest.FromString("d")
	key := lockKey("blob", d.String())
	unlock, err := a.LockBlob(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan error, 1)
	go func() {
		unlock, err := b.LockBlob(ctx, d)
		if err == nil {
			unlock()
		}
		got <- err
	}()
	eventually(t, "the second store waits for the lock on the server", func() bool {
		return len(pids(t, sys, dbName(dsn), key, false)) == 1
	})
	cancel()
	select {
	case err := <-got:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled LockBlob: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("canceled LockBlob did not return")
	}
	eventually(t, "the canceled wait ends on the server", func() bool {
		return len(pids(t, sys, dbName(dsn), key, false)) == 0
	})
	unlock()
	if held := pids(t, sys, dbName(dsn), key, true); len(held) != 0 {
		t.Fatalf("lock still held by backends %v after release", held)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	unlock, err = b.LockBlob(ctx, d)
	if err != nil {
		t.Fatalf("LockBlob after the holder released: %v", err)
	}
	unlock()
}

// TestTryLockAcrossStores: a named lock is exclusive across two stores, is released when its
// holder's backend is terminated or its store closed, and does not share keys with blob
// locks.
func TestTryLockAcrossStores(t *testing.T) {
	dsn := pg.NewDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	sys := admin(t, pg.DSN("postgres"))
	ctx := t.Context()
	tryLock := func(s *sqlstore.Store, name string) (func(), bool) {
		t.Helper()
		unlock, ok, err := s.TryLock(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return unlock, ok
	}

	unlockA, ok := tryLock(a, "gc")
	if !ok {
		t.Fatal("a free lock was refused")
	}
	if _, ok := tryLock(b, "gc"); ok {
		t.Fatal("a lock held by one store was taken by another")
	}
	holders := pids(t, sys, dbName(dsn), lockKey("name", "gc"), true)
	if len(holders) != 1 {
		t.Fatalf("backends holding the lock: %v, want one", holders)
	}
	var killed bool
	if err := sys.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, holders[0]).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminating the holder's backend: %v, %v", killed, err)
	}
	var unlockB func()
	eventually(t, "the lock of a terminated holder is free", func() bool {
		unlockB, ok = tryLock(b, "gc")
		return ok
	})
	unlockA() // the dead holder's release must not release the new holder's lock
	if _, ok := tryLock(a, "gc"); ok {
		t.Fatal("the dead holder's release freed the new holder's lock")
	}
	unlockB()

	c, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tryLock(c, "upload:x"); !ok {
		t.Fatal("a free lock was refused")
	}
	if _, ok := tryLock(b, "upload:x"); ok {
		t.Fatal("a lock held by one store was taken by another")
	}
	c.Close()
	eventually(t, "the lock of a closed store is free", func() bool {
		unlockB, ok = tryLock(b, "upload:x")
		return ok
	})
	unlockB()

	d := digest.FromString("d")
	unlock, err := a.LockBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, name := range []string{d.String(), "blob:" + d.String()} {
		unlock, ok := tryLock(b, name)
		if !ok {
			t.Fatalf("TryLock(%q) refused while blob %s is locked", name, d)
		}
		unlock()
	}
}
