package sqlstore

import (
	"context"
	"sync"
)

// keyedLock is a mutex per key (a digest, a repository) within one process. An entry lives
// while someone holds or waits for it, so the map stays as small as the set of keys in use.
type keyedLock[K comparable] struct {
	mu sync.Mutex
	m  map[K]*keyedEntry
}

type keyedEntry struct {
	held chan struct{} // capacity 1: full while locked
	refs int           // holders and waiters
}

func newKeyedLock[K comparable]() *keyedLock[K] {
	return &keyedLock[K]{m: make(map[K]*keyedEntry)}
}

// lock waits for d's lock (or ctx) and returns its release, which may be called more than once.
func (k *keyedLock[K]) lock(ctx context.Context, d K) (func(), error) {
	k.mu.Lock()
	e := k.m[d]
	if e == nil {
		e = &keyedEntry{held: make(chan struct{}, 1)}
		k.m[d] = e
	}
	e.refs++
	k.mu.Unlock()

	select {
	case e.held <- struct{}{}:
	case <-ctx.Done():
		k.release(d, e)
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.held
			k.release(d, e)
		})
	}, nil
}

func (k *keyedLock[K]) release(d K, e *keyedEntry) {
	k.mu.Lock()
	e.refs--
	if e.refs == 0 {
		delete(k.m, d)
	}
	k.mu.Unlock()
}

// namedLock is a set of named locks within one process, taken without waiting.
type namedLock struct {
	mu   sync.Mutex
	held map[string]bool
}

func newNamedLock() *namedLock { return &namedLock{held: make(map[string]bool)} }

// tryLock takes name unless it is held; the release may be called more than once.
func (l *namedLock) tryLock(ctx context.Context, name string) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[name] {
		return nil, false, nil
	}
	l.held[name] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.held, name)
			l.mu.Unlock()
		})
	}, true, nil
}
