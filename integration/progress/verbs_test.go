package progress

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eopack/eopack/internal/testpeer"
)

var statusLine = regexp.MustCompile(`^\S+ +[0-9a-f]{12} \S+$`)

// statusLines are the status lines of a screen ("Copied  3b6a07d0d404 big.bin"), sorted.
func statusLines(screen string) []string {
	var got []string
	for _, l := range strings.Split(screen, "\n") {
		if statusLine.MatchString(l) {
			got = append(got, l)
		}
	}
	slices.Sort(got)
	return got
}

// doneTitle is the title (or media type) on the first status line of screen.
func doneTitle(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if statusLine.MatchString(l) {
			return l[strings.LastIndex(l, " ")+1:]
		}
	}
	return ""
}

// TestVerbsBarsOnTerminal: cp, backup, restore, mirror, blob push and blob fetch, reading or
// writing through the slow proxy in a terminal, show a moving bar for big.bin under their own
// verb; at the end the bars are gone, and the status lines are those --no-tty prints, the
// start lines aside (blob fetch, silent off a terminal, leaves its done line).
func TestVerbsBarsOnTerminal(t *testing.T) {
	w := newWorld(t)
	testpeer.Run(t, w.dir, w.eopack, "push", "--reproducible", w.fast+"/eo/src:v1", "big.bin", "small.txt")
	backup := filepath.Join(w.dir, "backup")
	testpeer.Run(t, w.dir, w.eopack, "backup", "--output", backup, w.fast+"/eo/src:v1")

	bigDigest := testpeer.FileDigest(t, filepath.Join(w.dir, "big.bin"))
	for _, c := range []struct {
		name, start, done, title, args string // args has DST where each run needs a fresh destination
	}{
		{"cp", "Copying", "Copied", `big\.bin`, "cp " + w.slow + "/eo/src:v1 " + w.fast + "/DST:v1"},
		{"backup", "Pulling", "Pulled", `big\.bin`, "backup --output " + filepath.Join(w.dir, "DST") + " " + w.slow + "/eo/src:v1"},
		{"restore", "Pushing", "Pushed", `big\.bin`, "restore --input " + backup + " " + w.slow + "/DST"},
		{"mirror", "Copying", "Copied", `big\.bin`, "mirror " + w.slow + "/eo/src " + w.fast + "/DST"},
		{"blob-push", "Uploading", "Uploaded", `\S+`, "blob push " + w.slow + "/DST@" + bigDigest + " big.bin"},
		{"blob-fetch", "Downloading", "Downloaded", `\S+`, "blob fetch -o DST.bin " + w.slow + "/eo/src@" + bigDigest},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := startPane(t, w.dir, w.cmd(strings.ReplaceAll(c.args, "DST", "tty-"+c.name)))
			mid := p.WaitFor("a moving bar for big.bin", 2*time.Minute, func(s string) bool {
				return moving(s, bar(c.start+` +`+w.big+` `+c.title, "64.0 MiB"))
			})
			saveArtifact(t, c.name+"-tty-mid.txt", mid)
			end := p.exited()
			saveArtifact(t, c.name+"-tty-end.txt", end)
			if regexp.MustCompile(`\[[=>-]+\]|(?m)^(Total|` + c.start + `) `).MatchString(end) {
				t.Errorf("bars left at the end:\n%s", end)
			}

			args := strings.ReplaceAll(c.args, "DST", "plain-"+c.name)
			if c.name != "cp" && c.name != "mirror" { // (both sides on one registry would mount)
				args = strings.ReplaceAll(args, w.slow, w.fast) // no bars to see: no need to wait
			}
			plain := startPane(t, w.dir, w.cmd(args+" --no-tty")).exited()
			saveArtifact(t, c.name+"-no-tty.txt", plain)
			var want []string
			for _, l := range statusLines(plain) {
				if !strings.HasPrefix(l, c.start+" ") {
					want = append(want, l)
				}
			}
			if c.name == "blob-fetch" { // silent off a terminal; its bar leaves its done line
				want = []string{"Downloaded  " + w.big + " " + doneTitle(end)}
				if plain != "" {
					t.Errorf("blob fetch --no-tty printed:\n%s", plain)
				}
			} else if !regexp.MustCompile(`(?m)^` + c.start + ` +` + w.big + ` ` + c.title + `$`).MatchString(plain) {
				t.Errorf("--no-tty lacks the start line of big.bin:\n%s", plain)
			}
			if got := statusLines(end); len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("status lines at the end:\n%s\nwant those of --no-tty without %q:\n%s", strings.Join(got, "\n"), c.start, strings.Join(want, "\n"))
			}
			if !regexp.MustCompile(`(?m)^` + c.done + ` +` + w.big + ` ` + c.title + `$`).MatchString(end) {
				t.Errorf("no %s line for big.bin at the end:\n%s", c.done, end)
			}
		})
	}
}
