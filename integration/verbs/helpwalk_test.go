package verbs

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/eopack/eopack/internal/testpeer"
)

// deliberate are the ORAS 1.3.6 commands and flags eopack does not take, each with the
// reason the README's "Differences from ORAS" gives. Anything else ORAS accepts, eopack must.
var deliberate = map[string]string{
	"completion": "cobra's shell completion is eopack's own, not ORAS's",
}

// Every command `oras --help` lists (walked through its subcommands) exists in eopack, and
// every flag of it that ORAS 1.3.6 accepts, eopack's same command accepts too, unless it is
// a deliberate difference.
func TestEveryORASFlagAccepted(t *testing.T) {
	oras := testpeer.Bin(t, "oras")
	eopack := testpeer.Eopack(t)
	var missing []string
	var walk func(path []string)
	walk = func(path []string) {
		name := strings.Join(path, " ")
		if _, ok := deliberate[name]; ok {
			return
		}
		orasHelp := help(t, oras, path)
		eopackHelp, err := helpErr(eopack, path)
		if err != nil || !strings.Contains(eopackHelp, "Usage:") || isParentUsage(eopackHelp, path) {
			missing = append(missing, "command "+name)
			return
		}
		have := flagNames(eopackHelp)
		for _, f := range flagNames(orasHelp) {
			key := strings.TrimSpace(name + " --" + f)
			if _, ok := deliberate[key]; ok || slices.Contains(have, f) {
				continue
			}
			missing = append(missing, key)
		}
		for _, sub := range subcommands(orasHelp) {
			if sub == "help" {
				continue
			}
			walk(append(slices.Clone(path), sub))
		}
	}
	walk(nil)
	if len(missing) > 0 {
		t.Fatalf("ORAS 1.3.6 accepts these, eopack does not (%d):\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
}

// help runs `bin path… --help`.
func help(t *testing.T, bin string, path []string) string {
	t.Helper()
	out, err := helpErr(bin, path)
	if err != nil {
		t.Fatalf("%s %s --help: %v\n%s", bin, strings.Join(path, " "), err, out)
	}
	return out
}

func helpErr(bin string, path []string) (string, error) {
	out, err := exec.Command(bin, append(slices.Clone(path), "--help")...).CombinedOutput()
	return string(out), err
}

// isParentUsage reports whether cobra answered with a parent command's help (it does so for
// an unknown subcommand of a command that has subcommands): the usage line does not name
// the last element of path.
func isParentUsage(help string, path []string) bool {
	if len(path) == 0 {
		return false
	}
	_, usage, _ := strings.Cut(help, "Usage:")
	usage, _, _ = strings.Cut(strings.TrimSpace(usage), "\n")
	return !strings.Contains(" "+usage+" ", " "+path[len(path)-1]+" ")
}

var (
	flagRE = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z0-9][a-z0-9-]*)`)
	subRE  = regexp.MustCompile(`(?m)^  ([a-z][a-z0-9-]*)\s{2,}\S`)
)

// flagNames are the long flags a help text's flag sections list.
func flagNames(help string) []string {
	var out []string
	for _, m := range flagRE.FindAllStringSubmatch(help, -1) {
		out = append(out, m[1])
	}
	return out
}

// subcommands are the names under "Available Commands:".
func subcommands(help string) []string {
	_, cmds, ok := strings.Cut(help, "Available Commands:")
	if !ok {
		return nil
	}
	cmds, _, _ = strings.Cut(cmds, "\n\n")
	var out []string
	for _, m := range subRE.FindAllStringSubmatch(cmds+"\n", -1) {
		out = append(out, m[1])
	}
	return out
}
