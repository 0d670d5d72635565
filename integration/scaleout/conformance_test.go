package scaleout

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// The pinned OCI distribution-spec conformance suite, every optional API on, against 3
// replicas on PostgreSQL and S3 behind the round-robin proxy: every request of the suite
// lands on the next replica. 0 failures and 0 skipped, as against a single server.
func TestConformanceThreeReplicas(t *testing.T) {
	suite := testpeer.Bin(t, "conformance")
	c := newCluster(t, 3)
	dir := t.TempDir()
	cmd := exec.Command(suite)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"OCI_REGISTRY="+c.addr(), "OCI_TLS=disabled",
		"OCI_API_BLOBS_DIGEST_HEADER=true", "OCI_API_BLOBS_UPLOAD_CANCEL=true",
		"OCI_API_MANIFESTS_DIGEST_HEADER=true", "OCI_API_MANIFESTS_TAG_PARAM=true",
		"OCI_RESULTS_DIR="+filepath.Join(dir, "results"))
	out, _ := cmd.CombinedOutput() // the suite exits non-zero on failures; junit.xml says which
	b, err := os.ReadFile(filepath.Join(dir, "results", "junit.xml"))
	if err != nil {
		t.Fatalf("no junit.xml: %v\n%s", err, tail(out))
	}
	// The root is <testsuites> holding <testsuite>s, or one <testsuite>.
	var suites struct {
		XMLName xml.Name
		junitCounts
		Suites []junitCounts `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatal(err)
	}
	if suites.XMLName.Local == "testsuite" {
		suites.Suites = []junitCounts{suites.junitCounts}
	}
	var tests, failed, skipped int
	for _, s := range suites.Suites {
		tests += s.Tests
		failed += s.Failures + s.Errors
		skipped += s.Skipped + s.Disabled
	}
	t.Logf("conformance on 3 replicas: %d tests, %d failures, %d skipped", tests, failed, skipped)
	if tests == 0 || failed != 0 || skipped != 0 {
		t.Fatalf("conformance on 3 replicas: %d tests, %d failures, %d skipped\n%s", tests, failed, skipped, tail(out))
	}
}

// junitCounts are a junit test suite's counts.
type junitCounts struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Disabled int `xml:"disabled,attr"`
}

// tail is the last 8 KiB of a command's output.
func tail(b []byte) []byte {
	if len(b) > 8<<10 {
		return b[len(b)-8<<10:]
	}
	return b
}
