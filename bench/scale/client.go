package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

const (
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaEmpty    = "application/vnd.oci.empty.v1+json"
	mediaLayer    = "application/octet-stream"
)

// emptyBlob is the OCI empty descriptor's content, the config of every manifest pushed here.
var emptyBlob = []byte("{}")

// registry is one server under test, reached over keep-alive connections on loopback.
type registry struct {
	name string
	base *url.URL // http://127.0.0.1:PORT
	pid  int      // the server process, for /proc/PID/status
	c    *http.Client
}

// newRegistry returns a client for addr, which must be a loopback host:port.
func newRegistry(name, addr string, pid, conns int) (*registry, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s: only loopback addresses are benchmarked", addr)
	}
	tr := &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     5 * time.Minute,
		DisableCompression:  true,
		Proxy:               nil, // loopback only: never through a proxy
	}
	return &registry{
		name: name,
		base: &url.URL{Scheme: "http", Host: addr},
		pid:  pid,
		c:    &http.Client{Transport: tr, Timeout: 2 * time.Minute},
	}, nil
}

// response is what a request returned: status, the headers used here and the body.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request to u (a path or URL resolved against the registry's base, which it
// must stay on), reads the whole body so the connection is reused, and returns the response
// and the time from sending to the last byte of the body.
func (r *registry) do(ctx context.Context, method, u string, body []byte, hdr ...string) (response, time.Duration, error) {
	ref, err := url.Parse(u)
	if err != nil {
		return response{}, 0, err
	}
	full := r.base.ResolveReference(ref)
	if full.Host != r.base.Host {
		return response{}, 0, fmt.Errorf("%s %s: leaves %s", method, u, r.base.Host)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, full.String(), rd)
	if err != nil {
		return response{}, 0, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	t0 := time.Now()
	resp, err := r.c.Do(req)
	if err != nil {
		return response{}, 0, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		return response{}, d, fmt.Errorf("%s %s: reading body: %w", method, full.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}, d, nil
}

// expect is do that fails unless the status is want.
func (r *registry) expect(ctx context.Context, want int, method, u string, body []byte, hdr ...string) (response, time.Duration, error) {
	resp, d, err := r.do(ctx, method, u, body, hdr...)
	if err != nil {
		return resp, d, err
	}
	if resp.status != want {
		return resp, d, fmt.Errorf("%s %s: %d %.200s (want %d)", method, u, resp.status, resp.body, want)
	}
	return resp, d, nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// pushBlob uploads data to repo as POST then PUT ?digest= (the sequence every registry
// accepts). With from set it first asks for a cross-repository mount (one request when the
// registry does it) and uploads only when the registry answers 202 instead.
func (r *registry) pushBlob(ctx context.Context, repo string, data []byte, from string) error {
	d := digestOf(data)
	post := "/v2/" + repo + "/blobs/uploads/"
	if from != "" {
		post += "?" + url.Values{"mount": {d}, "from": {from}}.Encode()
	}
	resp, _, err := r.do(ctx, http.MethodPost, post, nil)
	if err != nil {
		return err
	}
	switch {
	case resp.status == http.StatusCreated && from != "":
		return nil
	case resp.status != http.StatusAccepted:
		return fmt.Errorf("POST %s: %d %.200s", post, resp.status, resp.body)
	}
	loc, err := url.Parse(resp.header.Get("Location"))
	if err != nil || loc.String() == "" {
		return fmt.Errorf("POST %s: no usable Location (%q)", post, resp.header.Get("Location"))
	}
	q := loc.Query()
	q.Set("digest", d)
	loc.RawQuery = q.Encode()
	_, _, err = r.expect(ctx, http.StatusCreated, http.MethodPut, loc.String(), data,
		"Content-Type", mediaLayer)
	return err
}

// putManifest PUTs an image manifest to repo under ref (a tag or its digest) and returns
// the request's latency.
func (r *registry) putManifest(ctx context.Context, repo, ref string, m []byte) (time.Duration, error) {
	_, d, err := r.expect(ctx, http.StatusCreated, http.MethodPut, "/v2/"+repo+"/manifests/"+ref, m,
		"Content-Type", mediaManifest)
	return d, err
}
