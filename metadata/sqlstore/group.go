package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
)

// maxGroup bounds the writers one grouped transaction takes.
const maxGroup = 64

// errClosed is returned to a writer that arrives after the store was closed.
var errClosed = errors.New("metadata store closed")

// groupCommit runs the write transactions of a single-writer engine (SQLite) in groups:
// the writers that arrive while a transaction runs go together into the next one, each
// inside a savepoint of its own, so that one commit, and its WAL sync, covers them all
// (with synchronous=FULL the sync dominates a small write). A writer whose work fails has
// its savepoint rolled back and gets its own error; the others commit. If the group
// itself fails (its BEGIN, a savepoint, the COMMIT), each of its writers runs again alone
// in a transaction of its own, as it would without grouping, so grouping never changes an
// outcome. Writers are served in arrival order.
type groupCommit struct {
	s     *Store
	queue chan *groupWrite
	stop  chan struct{}
	done  chan struct{}
	// groups counts the groups of more than one writer committed together; taken, the
	// writers taken from the queue; waiting, the writers waiting to enter it.
	groups, taken, waiting atomic.Int64
}

// groupWrite is one writer waiting in a group.
type groupWrite struct {
	ctx      context.Context
	fn       func(conn) error
	err      error
	panicked any // what fn panicked with, raised again in the writer's goroutine
	done     chan struct{}
}

// call runs the writer's work on c, turning a panic into an error that ends the group;
// the panic is raised again in the writer's own goroutine (where net/http, say, recovers it)
// rather than crashing the process from the group's.
func (w *groupWrite) call(c conn) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.panicked = p
			err = errPanicked
		}
	}()
	return w.fn(c)
}

// errPanicked stands for a panic in a writer's work.
var errPanicked = errors.New("write panicked")

func newGroupCommit(s *Store) *groupCommit {
	g := &groupCommit{s: s, queue: make(chan *groupWrite), stop: make(chan struct{}), done: make(chan struct{})}
	go g.loop()
	return g
}

// write runs fn in the next group and returns its outcome. A writer whose ctx ends before
// its group starts is not run.
func (g *groupCommit) write(ctx context.Context, fn func(conn) error) error {
	w := &groupWrite{ctx: ctx, fn: fn, done: make(chan struct{})}
	g.waiting.Add(1)
	select {
	case g.queue <- w:
		g.waiting.Add(-1)
	case <-ctx.Done():
		g.waiting.Add(-1)
		return ctx.Err()
	case <-g.stop:
		g.waiting.Add(-1)
		return errClosed
	}
	<-w.done
	if w.panicked != nil {
		panic(w.panicked)
	}
	return w.err
}

// close stops taking writers and waits for the group running, if any.
func (g *groupCommit) close() {
	close(g.stop)
	<-g.done
}

func (g *groupCommit) loop() {
	defer close(g.done)
	for {
		var first *groupWrite
		select {
		case first = <-g.queue:
			g.taken.Add(1)
		case <-g.stop:
			return
		}
		group := []*groupWrite{first}
	more:
		for len(group) < maxGroup {
			select {
			case w := <-g.queue:
				g.taken.Add(1)
				group = append(group, w)
			default:
				break more
			}
		}
		g.run(group)
		for _, w := range group {
			close(w.done)
		}
	}
}

// run runs a group and sets each writer's outcome.
func (g *groupCommit) run(group []*groupWrite) {
	live := make([]*groupWrite, 0, len(group))
	for _, w := range group {
		if err := w.ctx.Err(); err != nil {
			w.err = err
		} else {
			live = append(live, w)
		}
	}
	if len(live) > 1 && g.s.grouped(live) == nil {
		g.groups.Add(1)
		return
	}
	for _, w := range live {
		if w.panicked == nil {
			w.err = g.s.writeTx(w.ctx, g.s.d.WriteTx, w.call)
		}
	}
}

// grouped runs the writers' work in one transaction, each in a savepoint, and on success
// sets each writer's outcome. Statements run detached from the writers' contexts: an
// interrupted statement can roll back SQLite's whole transaction, others' work included.
func (s *Store) grouped(ws []*groupWrite) error {
	if s.writeSem != nil {
		s.writeSem <- struct{}{}
		defer func() { <-s.writeSem }()
	}
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, s.d.WriteTx)
	if err != nil {
		return err
	}
	c := conn{q: detached{tx}, d: s.d, tx: tx, cache: s.stmts}
	errs := make([]error, len(ws))
	for i, w := range ws {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			tx.Rollback()
			return err
		}
		if errs[i] = w.call(c); errs[i] != nil {
			if w.panicked != nil {
				tx.Rollback()
				return errs[i]
			}
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO w`); err != nil {
				tx.Rollback()
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE w`); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for i, w := range ws {
		w.err = errs[i]
	}
	return nil
}

// detached is a querier whose statements ignore their context's end.
type detached struct{ q querier }

func (d detached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.q.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (d detached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.q.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (d detached) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.q.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}
