package testpeer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 is a versitygw S3 server, posix backend in a temporary folder, listening on a loopback
// port with one root user. Tests reach it with the credentials in Env (an eopack blob store
// takes them from the environment) and make a bucket of their own with NewBucket.
type S3 struct {
	Endpoint  string // http://127.0.0.1:port
	AccessKey string
	SecretKey string
	Region    string

	dir    string // the buckets and the server's log
	cmd    *exec.Cmd
	exit   chan error
	client *s3.Client
	seq    atomic.Int64
}

// StartS3 starts a server for a test; it is stopped and its folder removed when the test ends.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	s, stop, err := startS3(Bin(t, "versitygw"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return s
}

// StartS3Main starts a server without a test, for TestMain to share one among a package's
// tests; stop shuts it down and removes its folder.
func StartS3Main() (s *S3, stop func(), err error) {
	bin, err := lookBin("versitygw")
	if err != nil {
		return nil, nil, err
	}
	return startS3(bin)
}

func startS3(bin string) (*S3, func(), error) {
	dir, err := os.MkdirTemp(os.TempDir(), "eopack-s3-")
	if err != nil {
		return nil, nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	var secret [16]byte
	rand.Read(secret[:])
	s := &S3{AccessKey: "eopack-test", SecretKey: hex.EncodeToString(secret[:]), Region: "us-east-1", dir: dir}
	// A port taken between choosing and listening fails the start, so it is tried three times.
	for range 3 {
		var addr string
		if addr, err = loopbackAddr(); err != nil {
			break
		}
		if err = s.start(bin, addr, data); err == nil {
			return s, s.stop, nil
		}
	}
	os.RemoveAll(dir)
	return nil, nil, err
}

func (s *S3) start(bin, addr, data string) error {
	logPath := filepath.Join(s.dir, "versitygw.log")
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	s.cmd = exec.Command(bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
		"--port", addr, "--quiet", "posix", data)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	err = s.cmd.Start()
	log.Close()
	if err != nil {
		return fmt.Errorf("versitygw: %w", err)
	}
	s.exit = make(chan error, 1)
	go func(cmd *exec.Cmd) { s.exit <- cmd.Wait() }(s.cmd)
	s.Endpoint = "http://" + addr
	if err := s.waitReady(20 * time.Second); err != nil {
		s.kill()
		out, _ := os.ReadFile(logPath)
		return fmt.Errorf("versitygw did not start: %v\n%s", err, out)
	}
	s.client = s3.New(s3.Options{
		Region:                     s.Region,
		BaseEndpoint:               aws.String(s.Endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	return nil
}

// waitReady polls the endpoint until the server answers (any HTTP status) or exits.
func (s *S3) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(s.Endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case exit := <-s.exit:
			return fmt.Errorf("exited (%v): %w", exit, err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

// kill stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it.
func (s *S3) kill() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exit:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exit
	}
}

func (s *S3) stop() {
	s.kill()
	os.RemoveAll(s.dir)
}

// Env is the environment an S3 client needs to reach the server: the root user's keys and
// the region, and no EC2 metadata lookups.
func (s *S3) Env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":         s.AccessKey,
		"AWS_SECRET_ACCESS_KEY":     s.SecretKey,
		"AWS_REGION":                s.Region,
		"AWS_EC2_METADATA_DISABLED": "true",
	}
}

// SetEnv sets Env for the rest of the test (t.Setenv: not with t.Parallel).
func (s *S3) SetEnv(t testing.TB) {
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
}

// Client is an S3 client of the root user, for checks below a store's interface.
func (s *S3) Client() *s3.Client { return s.client }

// CreateBucket creates bucket name.
func (s *S3) CreateBucket(ctx context.Context, name string) error {
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// NewBucket creates an empty bucket with a name of its own and returns its URL,
// s3://BUCKET?endpoint=…&region=…, for s3store.Open. It is left on the server when the test
// ends.
func (s *S3) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("eopack-test-%d", s.seq.Add(1))
	if err := s.CreateBucket(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	return s.URL(name, "")
}

// URL is the s3:// URL of prefix (may be empty) in bucket on this server.
func (s *S3) URL(bucket, prefix string) string {
	u := url.URL{Scheme: "s3", Host: bucket, RawQuery: url.Values{"endpoint": {s.Endpoint}, "region": {s.Region}}.Encode()}
	if prefix != "" {
		u.Path = "/" + prefix
	}
	return u.String()
}

// lookBin is Bin without a test: the pinned peer binary name, or an error saying how to
// install it.
func lookBin(name string) (string, error) {
	p := filepath.Join(BinDir(), name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", errors.New("peer " + name + " not installed: run scripts/install-peers.sh (looked in " + BinDir() + " and PATH)")
}

// loopbackAddr is a 127.0.0.1:port free at the time of the call.
func loopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
