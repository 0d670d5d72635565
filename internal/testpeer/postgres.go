package testpeer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Postgres is a throwaway PostgreSQL cluster: superuser postgres, trust authentication,
// listening on a loopback port only. Its default collation is ICU's "en-US" rather than
// byte order, as on most production servers, so that a query relying on byte order without
// saying so fails its tests.
type Postgres struct {
	Addr  string // 127.0.0.1:port
	dir   string // data, socket and log
	cmd   *exec.Cmd
	done  chan struct{} // closed when the server has exited
	admin *sql.DB       // database postgres, for CREATE DATABASE
	seq   atomic.Int64
}

// PostgresOptions configure a cluster. The zero value is for tests: fsync and synchronous
// commit off, so a crash of the machine may lose it and nothing waits for the disk.
type PostgresOptions struct {
	// Durable keeps fsync, synchronous commit and full-page writes on, for benchmarks.
	Durable bool
}

const postgresHint = "install PostgreSQL: scripts/install-peers.sh (apt-get install postgresql)"

// StartPostgres starts a cluster for a test; it is stopped and removed when the test ends.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	return StartPostgresWith(t, PostgresOptions{})
}

// StartPostgresWith starts a cluster configured by o for a test.
func StartPostgresWith(t testing.TB, o PostgresOptions) *Postgres {
	t.Helper()
	p, stop, err := StartPostgresMain(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return p
}

// StartPostgresMain starts a cluster without a test, for TestMain to share one among a
// package's tests; stop shuts it down and removes its folder.
func StartPostgresMain(o PostgresOptions) (p *Postgres, stop func(), err error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp(os.TempDir(), "eopack-pg-")
	if err != nil {
		return nil, nil, err
	}
	p = &Postgres{dir: dir}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	cred, err := postgresCredential(dir)
	if err != nil {
		return nil, nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "--no-sync", "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--locale-provider=icu", "--icu-locale=en-US", "-D", data)
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if err := p.start(bin, data, cred, o); err != nil {
		return nil, nil, err
	}
	return p, p.stop, nil
}

// start runs the server on a free port and waits until it accepts connections. A port
// taken between choosing and listening fails the start, so it is tried three times.
func (p *Postgres) start(bin, data string, cred *syscall.Credential, o PostgresOptions) error {
	args := []string{"-D", data, "-k", p.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=400"}
	if !o.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logPath := filepath.Join(p.dir, "postgres.log")
	var err error
	for range 3 {
		port, ferr := freePort()
		if ferr != nil {
			return ferr
		}
		log, ferr := os.Create(logPath)
		if ferr != nil {
			return ferr
		}
		p.Addr = "127.0.0.1:" + port
		p.cmd = exec.Command(filepath.Join(bin, "postgres"), append(args, "-p", port)...)
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		p.cmd.Stdout, p.cmd.Stderr = log, log
		err = p.cmd.Start()
		log.Close()
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		p.done = make(chan struct{})
		go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(p.cmd, p.done)
		if err = p.waitReady(30 * time.Second); err == nil {
			return nil
		}
		p.signal()
		out, _ := os.ReadFile(logPath)
		err = fmt.Errorf("postgres did not start: %v\n%s", err, out)
	}
	return err
}

// waitReady pings database postgres until it answers or the server exits.
func (p *Postgres) waitReady(timeout time.Duration) error {
	db, err := sql.Open("pgx", p.DSN("postgres"))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			p.admin = db
			return nil
		}
		select {
		case <-p.done:
			db.Close()
			return fmt.Errorf("exited (%v): %w", p.cmd.ProcessState, err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			db.Close()
			return err
		}
	}
}

// signal asks the server for a fast shutdown (SIGINT: sessions are ended, not awaited) and
// waits for it, killing it after 30 s.
func (p *Postgres) signal() {
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *Postgres) stop() {
	if p.admin != nil {
		p.admin.Close()
	}
	p.signal()
	os.RemoveAll(p.dir)
}

// DSN is the URL of database db on the cluster.
func (p *Postgres) DSN(db string) string {
	return "postgres://postgres@" + p.Addr + "/" + db + "?sslmode=disable"
}

// CreateDatabase creates an empty database.
func (p *Postgres) CreateDatabase(ctx context.Context, name string) error {
	_, err := p.admin.ExecContext(ctx, `CREATE DATABASE "`+strings.ReplaceAll(name, `"`, `""`)+`"`)
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// NewDatabase creates an empty database with a name of its own and returns its DSN. It is
// left in the cluster when the test ends.
func (p *Postgres) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d", p.seq.Add(1))
	if err := p.CreateDatabase(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	return p.DSN(name)
}

// freePort is a loopback TCP port free at the time of the call.
func freePort() (string, error) {
	addr, err := loopbackAddr()
	if err != nil {
		return "", err
	}
	_, port, err := net.SplitHostPort(addr)
	return port, err
}

// postgresBin is the bin folder of the newest server under /usr/lib/postgresql (Debian's
// layout), else the folder of initdb on PATH.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	version := func(p string) int { v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p)))); return v }
	slices.SortFunc(dirs, func(a, b string) int { return version(a) - version(b) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[len(dirs)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL server (initdb) not found in /usr/lib/postgresql/*/bin or PATH: " + postgresHint)
}

// postgresCredential is who runs initdb and postgres: they refuse root, so as root the
// user postgres, to whom dir is given; otherwise nil (the current user).
func postgresCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the user postgres: %w; %s", err, postgresHint)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
