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

// TestVerbsBarsOnTerminal: cp, backup, restore and mirror, reading or writing through the
// slow proxy in a terminal, show a moving bar for big.bin under their own verb; at the end
// the bars are gone, and the status lines are those --no-tty prints, the start lines aside.
func TestVerbsBarsOnTerminal(t *testing.T) {
	w := newWorld(t)
	testpeer.Run(t, w.dir, w.eopack, "push", "--reproducible", w.fast+"/eo/src:v1", "big.bin", "small.txt")
	backup := filepath.Join(w.dir, "backup")
	testpeer.Run(t, w.dir, w.eopack, "backup", "--output", backup, w.fast+"/eo/src:v1")

	for _, c := range []struct {
		name, start, args string // args has DST where each run needs a fresh destination
	}{
		{"cp", "Copying", "cp " + w.slow + "/eo/src:v1 " + w.fast + "/DST:v1"},
		{"backup", "Pulling", "backup --output " + filepath.Join(w.dir, "DST") + " " + w.slow + "/eo/src:v1"},
		{"restore", "Pushing", "restore --input " + backup + " " + w.slow + "/DST"},
		{"mirror", "Copying", "mirror " + w.slow + "/eo/src " + w.fast + "/DST"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := startPane(t, w.dir, w.cmd(strings.ReplaceAll(c.args, "DST", "tty-"+c.name)))
			mid := p.waitFor("a moving bar for big.bin", 2*time.Minute, func(s string) bool {
				return moving(s, bar(c.start+` +`+w.big+` big\.bin`, "64.0 MiB"))
			})
			saveArtifact(t, c.name+"-tty-mid.txt", mid)
			end := p.exited()
			saveArtifact(t, c.name+"-tty-end.txt", end)
			if regexp.MustCompile(`\[[=>-]+\]|(?m)^(Total|` + c.start + `) `).MatchString(end) {
				t.Errorf("bars left at the end:\n%s", end)
			}

			plain := startPane(t, w.dir, w.cmd(strings.ReplaceAll(c.args, "DST", "plain-"+c.name)+" --no-tty")).exited()
			saveArtifact(t, c.name+"-no-tty.txt", plain)
			var want []string
			for _, l := range statusLines(plain) {
				if !strings.HasPrefix(l, c.start+" ") {
					want = append(want, l)
				}
			}
			if got := statusLines(end); len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("status lines at the end:\n%s\nwant those of --no-tty without %q:\n%s", strings.Join(got, "\n"), c.start, strings.Join(want, "\n"))
			}
			if !regexp.MustCompile(`(?m)^` + c.start + ` +` + w.big + ` big\.bin$`).MatchString(plain) {
				t.Errorf("--no-tty lacks the start line of big.bin:\n%s", plain)
			}
		})
	}
}
