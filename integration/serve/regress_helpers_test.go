package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/internal/testpeer"
)

// regressClient bounds every request of the regression tests: a server that hangs fails the test
// instead of stalling it.
var regressClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 128},
}

// regServer is an `eopack serve` process under test; its methods are the HTTP steps the
// regression tests are made of.
type regServer struct{ *testpeer.Server }

// startRegress starts `eopack serve` over root ("" for a fresh one) with extra flags.
func startRegress(t *testing.T, root string, extra ...string) regServer {
	t.Helper()
	return regServer{testpeer.StartServe(t, root, extra...)}
}

// send is one request to srv (path, or a full URL) that reports transport errors instead of
// failing the test, so goroutines may use it.
func (srv regServer) send(method, path string, body []byte, hdr ...string) (int, http.Header, []byte, error) {
	u := path
	if !strings.HasPrefix(u, "http") {
		u = "http://" + srv.Addr + path
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		return 0, nil, nil, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := regressClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b, err
}

// do is send that fails the test on a transport error.
func (srv regServer) do(t *testing.T, method, path string, body []byte, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	code, h, b, err := srv.send(method, path, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return code, h, b
}

// regressCode is the first code of a registry error body, "" if there is none.
func regressCode(body []byte) string {
	var e struct{ Errors []struct{ Code string } }
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// regressPutURL appends ?digest=d (or &digest=d) to an upload Location.
func regressPutURL(loc string, d digest.Digest) string {
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	return loc + sep + "digest=" + d.String()
}

// pushBlob uploads data into repo with one POST ?digest= and returns its digest.
func (srv regServer) pushBlob(t *testing.T, repo string, data []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(data)
	if code, _, body := srv.do(t, "POST", "/v2/"+repo+"/blobs/uploads/?digest="+d.String(), data); code != 201 {
		t.Fatalf("push blob %s to %s: %d %s", d, repo, code, body)
	}
	return d
}

// startSession opens an upload session in repo and returns its Location.
func (srv regServer) startSession(t *testing.T, repo string) string {
	t.Helper()
	code, h, body := srv.do(t, "POST", "/v2/"+repo+"/blobs/uploads/", nil)
	if code != 202 || h.Get("Location") == "" {
		t.Fatalf("POST %s session: %d %s", repo, code, body)
	}
	return h.Get("Location")
}

// patchChunk sends data as the chunk starting at byte start and returns the next Location.
func (srv regServer) patchChunk(t *testing.T, loc string, start int, data []byte) string {
	t.Helper()
	cr := fmt.Sprintf("%d-%d", start, start+len(data)-1)
	code, h, body := srv.do(t, "PATCH", loc, data, "Content-Type", "application/octet-stream", "Content-Range", cr)
	if code != 202 {
		t.Fatalf("PATCH %s (%s): %d %s", loc, cr, code, body)
	}
	return h.Get("Location")
}

// emptyConfig puts the empty JSON config blob into repo and returns its descriptor.
func (srv regServer) emptyConfig(t *testing.T, repo string) ocispec.Descriptor {
	t.Helper()
	c := ocispec.DescriptorEmptyJSON
	srv.pushBlob(t, repo, c.Data)
	c.Data = nil
	return c
}

// regressManifest is an image manifest with the empty config, the given layers, an optional
// subject and annotations.
func regressManifest(layers []ocispec.Descriptor, subject *ocispec.Descriptor, artifactType string, ann map[string]string) []byte {
	if layers == nil {
		layers = []ocispec.Descriptor{}
	}
	cfg := ocispec.DescriptorEmptyJSON
	cfg.Data = nil
	b, _ := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType, Config: cfg, Layers: layers, Subject: subject, Annotations: ann,
	})
	return b
}

// putManifest PUTs body (of media type mt) as repo:ref.
func (srv regServer) putManifest(t *testing.T, repo, ref, mt string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	return srv.do(t, "PUT", "/v2/"+repo+"/manifests/"+ref, body, "Content-Type", mt)
}

// tagList is the tags of repo; a repository that does not exist has none.
func (srv regServer) tagList(t *testing.T, repo string) []string {
	t.Helper()
	code, _, body := srv.do(t, "GET", "/v2/"+repo+"/tags/list", nil)
	if code == 404 {
		return nil
	}
	var l struct{ Tags []string }
	if code != 200 || json.Unmarshal(body, &l) != nil {
		t.Fatalf("tags/list of %s: %d %s", repo, code, body)
	}
	return l.Tags
}

// restart stops srv with SIGTERM, waits for it to exit and starts serve again over the
// same root (on a new port).
func (srv regServer) restart(t *testing.T, extra ...string) regServer {
	t.Helper()
	srv.Cmd.Process.Signal(syscall.SIGTERM)
	srv.WaitExit(t)
	return startRegress(t, srv.Root, extra...)
}

// procStatus reads a field of the server's /proc/PID/status counted in kB (VmRSS, VmHWM), in bytes.
func (srv regServer) procStatus(t *testing.T, field string) int64 {
	t.Helper()
	pid := srv.Cmd.Process.Pid
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q", field, line)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
