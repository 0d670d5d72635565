package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/testpeer"
	"github.com/eopack/eopack/metadata"
	"github.com/eopack/eopack/metadata/metadatatest"
	"github.com/eopack/eopack/metadata/sqlstore"
)

// pg is the cluster every test of the package shares; each test has databases of its own.
var pg *testpeer.Postgres

func TestMain(m *testing.M) {
	p, stop, err := testpeer.StartPostgresMain(testpeer.PostgresOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pg = p
	code := m.Run()
	stop()
	os.Exit(code)
}

// open opens dsn, closing the store when t ends.
func open(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// admin is a plain connection pool to the database of dsn.
func admin(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func dbName(dsn string) string {
	u, _ := url.Parse(dsn)
	return strings.TrimPrefix(u.Path, "/")
}

// TestStore runs the shared test table, each case on a new database.
func TestStore(t *testing.T) {
	metadatatest.Run(t, func(t *testing.T) metadata.Store { return open(t, pg.NewDatabase(t)) })
}

// TestConcurrentMigrations: five stores opening one new database at once all succeed and
// the schema is migrated once.
func TestConcurrentMigrations(t *testing.T) {
	dsn := pg.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(t.Context(), dsn)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
	var rows, version int
	err := admin(t, dsn).QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&rows, &version)
	if err != nil || rows != sqlstore.SchemaVersion || version != sqlstore.SchemaVersion {
		t.Fatalf("schema_migrations: %d rows, version %d, %v; want %d rows at version %d",
			rows, version, err, sqlstore.SchemaVersion, sqlstore.SchemaVersion)
	}
}

// TestOpenErrors: a failed Open names the database in one line without the password, and
// pool_max_conns must be a positive integer.
func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	_, err := Open(ctx, "postgres://eo:s3cret@127.0.0.1:1/meta?connect_timeout=5")
	if err == nil || !strings.HasPrefix(err.Error(), "metadata database postgres://127.0.0.1:1/meta: ") ||
		strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Open of an unreachable server: %v", err)
	}
	if _, err := Open(ctx, "mysql://127.0.0.1/meta"); err == nil {
		t.Error("Open of a mysql:// URL succeeded")
	}
	dsn := pg.NewDatabase(t)
	if _, err := Open(ctx, dsn+"&pool_max_conns=0"); err == nil || !strings.Contains(err.Error(), "pool_max_conns") {
		t.Errorf("Open with pool_max_conns=0: %v", err)
	}
}

// TestPoolMaxConns: pool_max_conns bounds the connections queries use.
func TestPoolMaxConns(t *testing.T) {
	dsn := pg.NewDatabase(t)
	s := open(t, dsn+"&pool_max_conns=2")
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Repositories(t.Context(), "", -1); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var n int
	err := admin(t, pg.DSN("postgres")).QueryRow(
		`SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1`, dbName(dsn)).Scan(&n)
	if err != nil || n < 1 || n > 2 {
		t.Fatalf("%d connections to the database (%v), want 1 or 2", n, err)
	}
}

// image is a manifest PUT of an image named name with one config blob, tagged tag.
func image(name, tag string) metadata.PutManifest {
	body := []byte(fmt.Sprintf(`{"schemaVersion":2,"name":%q}`, name))
	return metadata.PutManifest{
		Repo: "r",
		Manifest: metadata.Manifest{Digest: digest.FromBytes(body), MediaType: ocispec.MediaTypeImageManifest,
			ArtifactType: "application/vnd.test", Size: int64(len(body)), Body: body},
		Blobs: []digest.Digest{digest.FromString("config")},
		Tags:  []string{tag},
	}
}

// TestConcurrentTagPuts: two stores (two processes' worth) putting manifests to one tag at
// once both succeed, serialization failures retried, and the tag ends on one of the two.
func TestConcurrentTagPuts(t *testing.T) {
	dsn := pg.NewDatabase(t)
	stores := []*sqlstore.Store{open(t, dsn), open(t, dsn)}
	ctx := t.Context()
	if err := stores[0].LinkBlob(ctx, "r", digest.FromString("config"), 6); err != nil {
		t.Fatal(err)
	}
	for round := range 30 {
		ps := []metadata.PutManifest{image(fmt.Sprintf("a%d", round), "t"), image(fmt.Sprintf("b%d", round), "t")}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range stores {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = s.PutManifest(ctx, ps[i]) }()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: store %d: %v", round, i, err)
			}
		}
		m, err := stores[round%2].Manifest(ctx, "r", "t")
		if err != nil || (m.Digest != ps[0].Manifest.Digest && m.Digest != ps[1].Manifest.Digest) {
			t.Fatalf("round %d: tag on %s (%v), want %s or %s", round, m.Digest, err,
				ps[0].Manifest.Digest, ps[1].Manifest.Digest)
		}
	}
}

// pids are the backends holding (granted) or waiting for advisory lock key in database db.
func pids(t *testing.T, a *sql.DB, db string, key int64, granted bool) []int {
	t.Helper()
	rows, err := a.QueryContext(context.Background(), `SELECT l.pid, l.classid, l.objid
		FROM pg_locks l JOIN pg_database d ON d.oid = l.database
		WHERE l.locktype = 'advisory' AND d.datname = $1 AND l.granted = $2`, db, granted)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var pid int
		var hi, lo uint32
		if err := rows.Scan(&pid, &hi, &lo); err != nil {
			t.Fatal(err)
		}
		if uint64(hi)<<32|uint64(lo) == uint64(key) {
			out = append(out, pid)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRepoLock: a manifest PUT waits while another process holds its repository's lock and
// goes through once it is released; a PUT to another repository does not wait.
func TestRepoLock(t *testing.T) {
	dsn := pg.NewDatabase(t)
	s := open(t, dsn)
	ctx := t.Context()
	for _, repo := range []string{"r", "other"} {
		if err := s.LinkBlob(ctx, repo, digest.FromString("config"), 6); err != nil {
			t.Fatal(err)
		}
	}
	l := newLocks(admin(t, dsn))
	unlock, err := l.lockRepo(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = s.PutManifest(short, image("waits", "t"))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PUT to a locked repository: %v, want a deadline error", err)
	}
	other := image("elsewhere", "t")
	other.Repo = "other"
	if err := s.PutManifest(ctx, other); err != nil {
		t.Fatalf("PUT to another repository: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.PutManifest(ctx, image("after", "t")) }()
	select {
	case err := <-done:
		t.Fatalf("PUT finished while the lock was held: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatalf("PUT after the release: %v", err)
	}
}

// TestManyWritersOneRepo: 3 stores × 12 writers each putting 8 tagged manifests into one
// repository at once all succeed, and every tag is listed.
func TestManyWritersOneRepo(t *testing.T) {
	dsn := pg.NewDatabase(t)
	stores := []*sqlstore.Store{open(t, dsn), open(t, dsn), open(t, dsn)}
	ctx := t.Context()
	if err := stores[0].LinkBlob(ctx, "r", digest.FromString("config"), 6); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, s := range stores {
		for w := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range 8 {
					name := fmt.Sprintf("s%d-w%d-%d", i, w, k)
					if err := s.PutManifest(ctx, image(name, name)); err != nil {
						t.Errorf("%s: %v", name, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	tags, err := stores[1].Tags(ctx, "r", "", -1)
	if err != nil || len(tags) != 3*12*8 {
		t.Fatalf("%d tags (%v), want %d", len(tags), err, 3*12*8)
	}
}
