package testpeer

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// HTTP sends a request with http.DefaultClient and returns the status, header and body of
// the answer, failing the test when there is none. body is sent when it is not nil; hdr
// is header names and values in pairs ("Range", "bytes=0-99", …).
func HTTP(t testing.TB, method, url string, body []byte, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// Get is HTTP for a plain GET: the status and body of the answer.
func Get(t testing.TB, url string) (int, []byte) {
	t.Helper()
	status, _, b := HTTP(t, http.MethodGet, url, nil)
	return status, b
}
