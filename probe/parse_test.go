package probe

import (
	"errors"
	"net/http"
	"testing"
)

func TestDescribeChallenge(t *testing.T) {
	for in, want := range map[string]string{
		`Basic realm="eopack"`: "basic",
		`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"`: "bearer realm=https://auth.docker.io/token service=registry.docker.io",
		`bearer realm="https://ghcr.io/token"`: "bearer realm=https://ghcr.io/token",
	} {
		if got := describeChallenge(in); got != want {
			t.Errorf("describeChallenge(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRangeEnd(t *testing.T) {
	for in, want := range map[string]int64{"0-99": 99, "bytes=0-4095": 4095, " 0-0 ": 0} {
		if got, ok := rangeEnd(in); !ok || got != want {
			t.Errorf("rangeEnd(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "5-99", "0-", "0-x", "bytes 0-9/10"} {
		if _, ok := rangeEnd(bad); ok {
			t.Errorf("rangeEnd(%q) accepted", bad)
		}
	}
}

func TestLinkNext(t *testing.T) {
	for in, want := range map[string]string{
		`</v2/r/tags/list?last=b&n=2>; rel="next"`:               "/v2/r/tags/list?last=b&n=2",
		`<https://r.example/v2/r/tags/list?n=2&last=b>;rel=next`: "https://r.example/v2/r/tags/list?n=2&last=b",
		`</v2/r/tags/list?last=b&n=2>; rel="prev"`:               "",
	} {
		got := ""
		if m := linkNext.FindStringSubmatch(in); m != nil {
			got = m[1]
		}
		if got != want {
			t.Errorf("Link %q → %q, want %q", in, got, want)
		}
	}
}

func TestVerdictTellsRefusalFromBreakage(t *testing.T) {
	refusedErr := &refusal{what: "PUT", r: &Response{Status: 400, Body: []byte(`{"errors":[{"code":"MANIFEST_INVALID"}]}`)}}
	if r := verdict("setup", refusedErr); r.Status != Unsupported || r.Summary != "PUT → 400 MANIFEST_INVALID" {
		t.Errorf("4xx: %+v", r)
	}
	if r := verdict("setup", &refusal{what: "PUT", r: &Response{Status: http.StatusInternalServerError}}); r.Status != Fail {
		t.Errorf("5xx: %+v", r)
	}
	if r := verdict("setup", errors.New("connection reset")); r.Status != Fail || r.Summary != "setup: connection reset" {
		t.Errorf("transport: %+v", r)
	}
}

func TestShortDigests(t *testing.T) {
	in := "/v2/r/blobs/sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
	if got := shortDigests(in); got != "/v2/r/blobs/sha256:44136fa355b3…" {
		t.Errorf("shortDigests = %q", got)
	}
}
