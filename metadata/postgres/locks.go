package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// locks takes session-level advisory locks, each on a connection of its own from db (the
// lock pool), held until released or until the store closes.
type locks struct {
	db   *sql.DB
	mu   sync.Mutex
	held map[*held]struct{}
}

// held is one lock and the connection holding it; end runs once, by the release or by
// the store's Close.
type held struct {
	c    *sql.Conn
	key  int64
	once sync.Once
}

func newLocks(db *sql.DB) *locks { return &locks{db: db, held: make(map[*held]struct{})} }

// lockKey is an advisory lock's key: the first 8 bytes of the SHA-256 of a namespaced name,
// so that blob locks ("blob:"+digest), repository locks ("repo:"+name) and named locks
// ("name:"+name) never collide in practice.
func lockKey(namespace, name string) int64 {
	sum := sha256.Sum256([]byte(namespace + ":" + name))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// lockBlob waits for d's lock.
func (l *locks) lockBlob(ctx context.Context, d digest.Digest) (func(), error) {
	return l.lock(ctx, "blob", d.String())
}

// lockRepo waits for the lock of repository repo's manifests and tags.
func (l *locks) lockRepo(ctx context.Context, repo string) (func(), error) {
	return l.lock(ctx, "repo", repo)
}

// lock waits for the lock of name in namespace. Ending ctx ends the wait on the server too:
// pgx sends the server a cancel request for a query whose context ends, then closes the
// connection.
func (l *locks) lock(ctx context.Context, namespace, name string) (func(), error) {
	c, err := l.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("locking %s %s: %w", namespace, name, err)
	}
	key := lockKey(namespace, name)
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		// Canceled or failed, the connection may still be waiting for the lock or hold it.
		discard(c)
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("locking %s %s: %w", namespace, name, err)
	}
	return l.keep(c, key), nil
}

// tryLock takes lock name unless another connection holds it.
func (l *locks) tryLock(ctx context.Context, name string) (func(), bool, error) {
	c, err := l.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	key := lockKey("name", name)
	var ok bool
	if err := c.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		discard(c)
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	if !ok {
		c.Close()
		return nil, false, nil
	}
	return l.keep(c, key), true, nil
}

// keep records a lock taken on c and returns its release, which may be called more than
// once.
func (l *locks) keep(c *sql.Conn, key int64) func() {
	h := &held{c: c, key: key}
	l.mu.Lock()
	l.held[h] = struct{}{}
	l.mu.Unlock()
	return func() {
		h.once.Do(func() {
			l.mu.Lock()
			delete(l.held, h)
			l.mu.Unlock()
			h.unlock()
		})
	}
}

// unlock releases the lock and returns its connection to the pool, or closes the
// connection (which releases the lock too) if the unlock fails.
func (h *held) unlock() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ok bool
	if err := h.c.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, h.key).Scan(&ok); err != nil || !ok {
		discard(h.c)
		return
	}
	h.c.Close()
}

// close releases every lock still held, closing their connections, then the pool.
func (l *locks) close() error {
	l.mu.Lock()
	hs := make([]*held, 0, len(l.held))
	for h := range l.held {
		hs = append(hs, h)
	}
	clear(l.held)
	l.mu.Unlock()
	for _, h := range hs {
		h.once.Do(func() { discard(h.c) })
	}
	return l.db.Close()
}

// discard closes c's connection instead of returning it to the pool: the server ends the
// session, releasing any lock it held.
func discard(c *sql.Conn) {
	err := c.Raw(func(any) error { return driver.ErrBadConn })
	if !errors.Is(err, driver.ErrBadConn) {
		c.Close()
	}
}
