// Package progress tests eopack's progress output as a person sees it: in a terminal (a tmux
// pane), the bars while a push or pull is under way and the lines left when it ends; with
// --no-tty, or with stdout piped, the plain status lines, line for line.
package progress

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

// The large file of the transfers, and the proxy's rate: about 8 s per transfer, long
// enough to see the bars whatever the machine.
const (
	bigSize      = 64 << 20
	throttleRate = 8 << 20
	smallText    = "a small file beside the big one\n"
)

// world is a registry behind a slow proxy and a folder holding big.bin and small.txt.
type world struct {
	dir, cache, eopack string
	fast, slow         string // the registry's address, and the proxy's
	big, small         string // 12-hex digest prefixes
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{dir: t.TempDir(), cache: t.TempDir(), eopack: testpeer.Eopack(t)}
	f, err := os.Create(filepath.Join(w.dir, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(bigSize); err != nil { // sparse: zeros
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	testpeer.WriteFile(t, filepath.Join(w.dir, "small.txt"), []byte(smallText))
	w.big = testpeer.FileDigest(t, filepath.Join(w.dir, "big.bin"))[len("sha256:"):][:12]
	w.small = testpeer.FileDigest(t, filepath.Join(w.dir, "small.txt"))[len("sha256:"):][:12]
	srv := testpeer.StartServe(t, "")
	w.fast, w.slow = srv.Addr, testpeer.StartNetProxy(t, srv.Addr, testpeer.NetProxyOptions{BytesPerSec: throttleRate}).Addr
	return w
}

// cmd is the shell line running eopack with args.
func (w *world) cmd(args string) string {
	return "XDG_CACHE_HOME=" + w.cache + " " + w.eopack + " " + args
}

// push pushes big.bin and small.txt, each as a whole body: with a chunk size above big.bin,
// its digest is computed before the upload, as for every file the digest cache knows, so
// that its lines carry the digest on every run.
func (w *world) push(ref, extra string) string {
	return w.cmd("push --reproducible --chunk-size 1GiB" + extra + " " + ref + " big.bin small.txt")
}

const (
	emptyConfig = "44136fa355b3 application/vnd.oci.empty.v1+json"
	manifestMT  = "application/vnd.oci.image.manifest.v1+json"
)

// pushLines are the lines a push of big.bin and small.txt to ref prints, the status lines
// sorted (concurrent blobs finish in any order), then the last four in order. start is false
// for a terminal, where the bars stand for the "Uploading" lines.
func (w *world) pushLines(ref, manifest string, start bool) (status, tail []string) {
	for _, blob := range []string{w.big + " big.bin", w.small + " small.txt", emptyConfig, manifest[len("sha256:"):][:12] + " " + manifestMT} {
		status = append(status, "Uploaded  "+blob)
		if start {
			status = append(status, "Uploading "+blob)
		}
	}
	slices.Sort(status)
	tail = []string{
		"Pushed 3 blobs (67108898 bytes), skipped 0 existing (0 bytes)",
		"Pushed [registry] " + ref,
		"ArtifactType: application/vnd.unknown.artifact.v1",
		"Digest: " + manifest,
	}
	return status, tail
}

// checkLines fails unless out is the status lines (in any order) followed by tail.
func checkLines(t *testing.T, name, out string, status, tail []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(status)+len(tail) {
		t.Fatalf("%s: %d lines, want %d:\n%s", name, len(lines), len(status)+len(tail), out)
	}
	got := slices.Clone(lines[:len(status)])
	slices.Sort(got)
	if !slices.Equal(got, status) || !slices.Equal(lines[len(status):], tail) {
		t.Fatalf("%s:\n%s\nwant the status lines (any order)\n%s\nthen\n%s", name, out, strings.Join(status, "\n"), strings.Join(tail, "\n"))
	}
}

// manifestDigest is the digest on the "Digest: " line of out.
func manifestDigest(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Digest: (sha256:[0-9a-f]{64})$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no Digest line in:\n%s", out)
	}
	return m[1]
}

// bar is the regexp of a bar line: status, bar, bytes moved and in all, percentage, speed, ETA.
func bar(label, total string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + label + ` +\[[=>-]+\] +\d+\.\d MiB / ` + regexp.QuoteMeta(total) +
		` +\d+ % +\d+\.\d [KM]iB/s +ETA +\S+$`)
}

const size = `[\d.]+ (b|[KMGT]iB)`

// anyBar matches the bar of any blob under verb, or the total line.
func anyBar(verb string) *regexp.Regexp {
	return regexp.MustCompile(`^(` + verb + ` [0-9a-f]{12} \S+|Total +\d+/\d+ blobs) +\[[=>-]+\] +` + size + ` / ` + size +
		` +\d+ % +(` + size + `/s|-) +ETA +\S+$`)
}

// checkScreen fails unless every line of a screen taken mid-transfer is the status line of
// a finished blob (verb done) or a bar (verb start), the total line last.
func checkScreen(t *testing.T, screen, start, done string) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	done1 := regexp.MustCompile(`^` + done + ` [0-9a-f]{12} \S+$`)
	bars := anyBar(start)
	for _, l := range lines {
		if !done1.MatchString(l) && !bars.MatchString(l) {
			t.Errorf("unexpected line mid-transfer: %q", l)
		}
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "Total ") {
		t.Errorf("last line is not the total line: %q", last)
	}
}

// moving reports whether screen shows a bar for big.bin that has moved, above a total line.
func moving(screen string, bigBar *regexp.Regexp) bool {
	return bigBar.MatchString(screen) && bar(`Total +\d/\d blobs`, "64.0 MiB").MatchString(screen) &&
		!strings.Contains(screen, " 0.0 MiB / 64.0 MiB")
}

// TestPushAndPullBarsOnTerminal pushes and pulls through the slow proxy in a terminal: while
// big.bin moves the pane shows its bar (bytes, speed, ETA) under the lines of the blobs done
// and above the total line; at the end the bars are gone and the lines a log would hold
// remain, the "Uploading" lines aside.
func TestPushAndPullBarsOnTerminal(t *testing.T) {
	w := newWorld(t)
	ref := w.slow + "/eo/tty:v1"

	p := startPane(t, w.dir, w.push(ref, ""))
	mid := p.WaitFor("a moving bar for big.bin", 2*time.Minute, func(s string) bool {
		return moving(s, bar(`Uploading `+w.big+` big\.bin`, "64.0 MiB"))
	})
	saveArtifact(t, "push-tty-mid.txt", mid)
	checkScreen(t, mid, "Uploading", "Uploaded ")
	end := p.exited()
	saveArtifact(t, "push-tty-end.txt", end)
	status, tail := w.pushLines(ref, manifestDigest(t, end), false)
	checkLines(t, "push screen at the end", end, status, tail)

	out := filepath.Join(w.dir, "out")
	p = startPane(t, w.dir, w.cmd("pull -o "+out+" "+ref))
	mid = p.WaitFor("a moving bar for big.bin", 2*time.Minute, func(s string) bool {
		return moving(s, bar(`Downloading `+w.big+` big\.bin`, "64.0 MiB"))
	})
	saveArtifact(t, "pull-tty-mid.txt", mid)
	checkScreen(t, mid, "Downloading", "Downloaded ")
	end = p.exited()
	saveArtifact(t, "pull-tty-end.txt", end)
	checkLines(t, "pull screen at the end", end,
		[]string{"Downloaded  " + w.big + " big.bin", "Downloaded  " + w.small + " small.txt"},
		[]string{"Downloaded 2 blobs (67108896 bytes), skipped 0 existing (0 bytes)", "Pulled [registry] " + ref, "Digest: " + manifestDigest(t, end)})
	testpeer.SameFile(t, filepath.Join(w.dir, "big.bin"), filepath.Join(out, "big.bin"))
}

// TestPlainLinesOffTerminal: in a terminal with --no-tty, with stdout piped, and with no
// terminal at all, a push prints the plain status lines, every one, nothing else; with
// --format json in a terminal, the JSON model alone.
func TestPlainLinesOffTerminal(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct{ name, repo, extra, pipe string }{
		{"push-no-tty.txt", "eo/notty", " --no-tty", ""},
		{"push-piped.txt", "eo/piped", "", " | cat"},
	} {
		ref := w.fast + "/" + c.repo + ":v1"
		screen := startPane(t, w.dir, w.push(ref, c.extra)+c.pipe).exited()
		saveArtifact(t, c.name, screen)
		status, tail := w.pushLines(ref, manifestDigest(t, screen), true)
		checkLines(t, c.name, screen, status, tail)
	}
	// --format json in a terminal: the model alone, as before (no bars, no status lines)
	screen := startPane(t, w.dir, w.push(w.fast+"/eo/json:v1", " --format json")).exited()
	saveArtifact(t, "push-json.txt", screen)
	if !strings.HasPrefix(screen, "{") || !strings.HasSuffix(screen, "}") || !strings.Contains(screen, `"mediaType": "`+manifestMT+`"`) ||
		strings.Contains(screen, "Upload") || regexp.MustCompile(`\[[=>-]+\]`).MatchString(screen) {
		t.Errorf("push --format json in a terminal:\n%s", screen)
	}

	ref := w.fast + "/eo/plain:v1"
	out := testpeer.Run(t, w.dir, w.eopack, "push", "--reproducible", "--chunk-size", "1GiB", ref, "big.bin", "small.txt")
	status, tail := w.pushLines(ref, manifestDigest(t, out), true)
	checkLines(t, "push without a terminal", out, status, tail)
}
