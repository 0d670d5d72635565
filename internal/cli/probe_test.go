package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
)

func probeRun(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), append([]string{"probe"}, args...), strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestProbeUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{nil, "requires at least 1 arg"},
		{[]string{"127.0.0.1:1", "--format", "yaml"}, `--format "yaml"`},
		{[]string{"127.0.0.1:1", "--max-blob", "lots"}, `--max-blob "lots"`},
		{[]string{"127.0.0.1:1", "--max-blob", "0"}, `--max-blob "0"`},
		{[]string{"127.0.0.1:1", "--timeout", "0s"}, "--timeout 0s"},
		{[]string{"127.0.0.1:1", "--only", "range,teleport"}, `--only "teleport": unknown check`},
		{[]string{"not a host"}, `"not a host": want <registry>[/<scratch-repo>]`},
		{[]string{"127.0.0.1:1/repo:tag"}, "takes no tag or digest"},
		{[]string{"127.0.0.1:1/Upper"}, `invalid repository name "Upper"`},
	} {
		out, errOut, code := probeRun(tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.msg) || out != "" {
			t.Errorf("probe %v: code %d, stderr %q, stdout %q; want 2 and %q", tc.args, code, errOut, out, tc.msg)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("probe %v: error is not one line: %q", tc.args, errOut)
		}
	}
}

// An unreachable registry is a finding, not an error: exit 0 with the table saying so.
func TestProbeUnreachableExitsZero(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	out, errOut, code := probeRun(addr+"/scratch/x", "--format", "json", "--only", "range")
	if code != exitOK || errOut != "" {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
	var reports []struct {
		Registry, Repository string
		Results              []struct{ ID, Status, Summary string }
	}
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(reports) != 1 || reports[0].Repository != "scratch/x" || len(reports[0].Results) != 3 {
		t.Fatalf("reports %+v", reports)
	}
	r := reports[0].Results
	if r[0].ID != "reach" || r[0].Status != "fail" || !strings.Contains(r[0].Summary, "connection refused") ||
		r[2].ID != "range" || r[2].Status != "skip" {
		t.Errorf("results %+v", r)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"64MiB": 64 << 20, "64M": 64 << 20, "1GiB": 1 << 30, "1g": 1 << 30, "500KiB": 500 << 10,
		"100MB": 100_000_000, "4096": 4096, "10B": 10,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1M", "1.5G", "9999999999TiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}
