package stacindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// A bulk load fills a new (or nearly empty) File fast, at the price of durability while it
// runs. BeginBulk marks the file (a 'bulk' row in stac_file, committed durably first), then
// writes without a rollback journal (journal_mode=OFF) or syncs (synchronous=OFF), through
// one connection with a large page cache; it drops the secondary indexes that only searches
// read (stac_items_dt, stac_items_id, stac_items_extent), and PutAll leaves the R*Tree
// empty. EndBulk creates those indexes and fills the R*Tree from the current items in one
// pass each, syncs the file, clears the mark and returns the file to WAL.
//
// A process that stops between the two (a crash, a kill, a full disk) leaves a file that
// may be inconsistent and is not repaired: OpenFile refuses a file still marked, with
// ErrHalfBuilt, and the file must be deleted and built again. Without a journal a write
// that fails after changing rows cannot be rolled back either: EndBulk then leaves the mark
// and returns the error (a write that fails before changing anything, such as an item that
// does not parse, is harmless). A journal in memory (journal_mode=MEMORY) would roll back,
// but cost more CPU than the WAL it replaces.

// ErrHalfBuilt is returned by OpenFile for a file whose bulk load did not finish.
var ErrHalfBuilt = errors.New("left half-built; delete it and run stac index again")

// bulkCacheKiB is the page cache of the connection of a bulk load.
const bulkCacheKiB = 512 << 10

// bulkIndexes are the indexes of Schema a bulk load creates at its end.
var bulkIndexes = []string{"stac_items_dt", "stac_items_id", "stac_items_extent"}

// BeginBulk starts a bulk load (see above); the caller must call EndBulk once done, also
// after a failure, for the file to be usable. Reads during the load (Digests, Repositories)
// work; searches and collections wait for EndBulk.
func (f *File) BeginBulk(ctx context.Context) error {
	f.mu.Lock()
	bulk := f.bulk
	f.mu.Unlock()
	if bulk {
		return fmt.Errorf("index %s: a bulk load is already running", f.path)
	}
	if err := f.write(ctx, func(c q) error {
		_, err := c.exec(ctx, `INSERT INTO stac_file (name, value) VALUES ('bulk', 'loading')
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`)
		return err
	}); err != nil {
		return fmt.Errorf("index %s: %w", f.path, err)
	}
	// One connection: journal mode and syncs are a connection's settings.
	f.db.SetMaxOpenConns(1)
	stmts := []string{`PRAGMA wal_checkpoint(TRUNCATE)`, `PRAGMA journal_mode = OFF`, `PRAGMA synchronous = OFF`,
		fmt.Sprintf(`PRAGMA cache_size = -%d`, bulkCacheKiB)}
	for _, n := range bulkIndexes {
		stmts = append(stmts, `DROP INDEX IF EXISTS `+n)
	}
	stmts = append(stmts, `DELETE FROM stac_rtree`)
	// The journal mode is checked before anything else changes: another connection to the
	// file (eopack stac serve) keeps it in WAL, and the load is then not started.
	if err := f.execAll(ctx, stmts[:3]); err != nil {
		return f.unmark(ctx, fmt.Errorf("index %s: starting a bulk load: %w", f.path, err))
	}
	var mode string
	if err := f.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "off" {
		return f.unmark(ctx, fmt.Errorf("index %s: starting a bulk load: journal mode %q (is the file open elsewhere?), %v", f.path, mode, err))
	}
	if err := f.execAll(ctx, stmts[3:]); err != nil {
		return fmt.Errorf("index %s: starting a bulk load: %w", f.path, err)
	}
	f.mu.Lock()
	f.bulk = true
	f.mu.Unlock()
	return nil
}

// EndBulk ends a bulk load: it builds the indexes and the R*Tree, syncs the file and
// returns it to WAL. Without a running bulk load it does nothing.
func (f *File) EndBulk(ctx context.Context) error {
	f.mu.Lock()
	bulk, failed := f.bulk, f.bulkErr
	f.mu.Unlock()
	if !bulk {
		return nil
	}
	if failed != nil {
		return fmt.Errorf("index %s: a write of the bulk load failed, the file is left half-built: %w", f.path, failed)
	}
	var stmts []string
	for _, s := range Schema {
		for _, n := range bulkIndexes {
			if strings.Contains(s, "INDEX "+n+" ") {
				stmts = append(stmts, s)
			}
		}
	}
	if len(stmts) != len(bulkIndexes) {
		return fmt.Errorf("index %s: the schema lacks an index of %v", f.path, bulkIndexes)
	}
	// The R*Tree holds the current items with a bbox (as setCurrent keeps it); the commit
	// that ends this transaction syncs everything the load wrote, before the mark goes.
	stmts = append([]string{`PRAGMA synchronous = FULL`, `BEGIN`, `DELETE FROM stac_rtree`,
		`INSERT INTO stac_rtree (id, minx, maxx, miny, maxy, mint, maxt)
		SELECT id, minx, maxx, miny, maxy, start_dt / ` + rtreeYear + `, end_dt / ` + rtreeYear + `
		FROM stac_items WHERE current = 1 AND minx IS NOT NULL ORDER BY id`}, stmts...)
	stmts = append(stmts, `COMMIT`, `DELETE FROM stac_file WHERE name = 'bulk'`,
		`PRAGMA journal_mode = WAL`, `PRAGMA synchronous = NORMAL`)
	if err := f.execAll(ctx, stmts); err != nil {
		return fmt.Errorf("index %s: ending a bulk load: %w", f.path, err)
	}
	f.mu.Lock()
	f.bulk = false
	f.mu.Unlock()
	f.db.SetMaxOpenConns(8)
	return nil
}

// unmark undoes the start of a bulk load that changed nothing yet, and returns err.
func (f *File) unmark(ctx context.Context, err error) error {
	f.execAll(ctx, []string{`PRAGMA journal_mode = WAL`, `PRAGMA synchronous = NORMAL`})
	f.db.SetMaxOpenConns(8)
	f.write(ctx, func(c q) error {
		_, err := c.exec(ctx, `DELETE FROM stac_file WHERE name = 'bulk'`)
		return err
	})
	return err
}

// execAll runs stmts in turn on one connection.
func (f *File) execAll(ctx context.Context, stmts []string) error {
	conn, err := f.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			if strings.HasPrefix(s, "BEGIN") || strings.Contains(s, "stac_rtree") || strings.HasPrefix(s, "CREATE") {
				conn.ExecContext(ctx, `ROLLBACK`)
			}
			return fmt.Errorf("%s: %w", strings.Join(strings.Fields(s)[:min(3, len(strings.Fields(s)))], " "), err)
		}
	}
	return nil
}

// halfBuilt reports whether the file is marked by a bulk load that did not end.
func halfBuilt(ctx context.Context, c q) (bool, error) {
	var n int
	err := c.queryRow(ctx, `SELECT count(*) FROM stac_file WHERE name = 'bulk'`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return n > 0, err
}
