// Command scale is the load generator behind bench/scale.sh: it fills registries on loopback
// with many manifests, referrers and repositories and times the requests whose cost grows
// with them (manifest PUT, tags/list, referrers, _catalog). Every phase runs against each
// target in turn; at the end it prints one markdown table with the targets side by side, the
// first target's goals next to its numbers, and each server's peak RSS (VmHWM).
//
//	scale -n 100000 -target 'eopack serve=127.0.0.1:5000,PID' -target 'distribution=127.0.0.1:5001,PID'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	n, referrers, repos     int
	clients, catalogClients int
	runs                    int // tags/list runs; referrers and _catalog use half
	raw                     string
	targets                 targetFlag
}

// targetFlag collects -target NAME=ADDR,PID.
type targetFlag []struct {
	name, addr string
	pid        int
}

func (t *targetFlag) String() string { return fmt.Sprint(len(*t), " targets") }

func (t *targetFlag) Set(s string) error {
	name, rest, ok1 := strings.Cut(s, "=")
	addr, pids, ok2 := strings.Cut(rest, ",")
	pid, err := strconv.Atoi(pids)
	if !ok1 || !ok2 || err != nil || name == "" {
		return fmt.Errorf("want NAME=ADDR,PID, got %q", s)
	}
	*t = append(*t, struct {
		name, addr string
		pid        int
	}{name, addr, pid})
	return nil
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 100000, "artifacts pushed into one repository, each with its own tag")
	flag.IntVar(&o.referrers, "referrers", 10000, "referrers of one subject")
	flag.IntVar(&o.repos, "repos", 10000, "repositories for _catalog")
	flag.IntVar(&o.clients, "clients", 4, "concurrent clients pushing artifacts and referrers")
	flag.IntVar(&o.catalogClients, "catalog-clients", 8, "concurrent clients creating repositories")
	flag.IntVar(&o.runs, "runs", 20, "tags/list requests per page timed (referrers and _catalog: half)")
	flag.StringVar(&o.raw, "raw", "", "folder for raw latencies (milliseconds, one per line)")
	flag.Var(&o.targets, "target", "NAME=ADDR,PID of a registry on loopback (repeat; the first is held to the goals)")
	flag.Parse()
	if len(o.targets) == 0 || o.n < 1 || o.referrers < 1 || o.repos < 1 || o.clients < 1 || o.catalogClients < 1 || o.runs < 2 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/scale:", err)
		os.Exit(1)
	}
	report(os.Stdout, o, res)
}

// result is what one target measured.
type result struct {
	name               string
	push               []time.Duration // manifest PUT latency of artifact i+1
	tagsFirst, tagsMid []time.Duration
	refPut             []time.Duration
	refGet             []time.Duration // nil: no referrers API (refNA)
	refNA              bool
	catPage, catWhole  []time.Duration
	catPages           int
	wall, cpu          [4]time.Duration // per phase
	rssMiB             float64
}

var phaseNames = [4]string{"push artifacts", "tags/list", "referrers (push + GETs)", "_catalog (push + GETs)"}

func run(ctx context.Context, o options) ([]*result, error) {
	regs := make([]*registry, len(o.targets))
	res := make([]*result, len(o.targets))
	for i, t := range o.targets {
		r, err := newRegistry(t.name, t.addr, t.pid, max(o.clients, o.catalogClients))
		if err != nil {
			return nil, err
		}
		regs[i], res[i] = r, &result{name: t.name}
	}
	subjects := make([]string, len(regs))
	phases := [4]func(r *registry, res *result, k int) error{
		func(r *registry, res *result, _ int) (err error) {
			res.push, err = pushTags(ctx, r, o.n, o.clients)
			return err
		},
		func(r *registry, res *result, _ int) (err error) {
			res.tagsFirst, res.tagsMid, err = listTags(ctx, r, o.n, o.runs)
			return err
		},
		func(r *registry, res *result, k int) (err error) {
			if subjects[k], res.refPut, err = pushReferrers(ctx, r, o.referrers, o.clients); err != nil {
				return err
			}
			res.refGet, err = getReferrers(ctx, r, subjects[k], o.referrers, o.runs/2)
			if errors.Is(err, errNoReferrersAPI) {
				res.refNA, err = true, nil
			}
			return err
		},
		func(r *registry, res *result, _ int) (err error) {
			if err := pushCatalog(ctx, r, o.repos, o.catalogClients); err != nil {
				return err
			}
			res.catPage, res.catWhole, res.catPages, err = listCatalog(ctx, r, o.repos, o.runs/2)
			return err
		},
	}
	// Phase by phase, each target in turn, so that load from elsewhere on the machine spreads
	// over both and every target holds the same data when a phase starts.
	for p, phase := range phases {
		for k, r := range regs {
			fmt.Fprintf(os.Stderr, "bench/scale: %s: %s\n", r.name, phaseNames[p])
			c0, err := cpuTime(r.pid)
			if err != nil {
				return nil, err
			}
			t0 := time.Now()
			if err := phase(r, res[k], k); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", r.name, phaseNames[p], err)
			}
			res[k].wall[p] = time.Since(t0)
			c1, err := cpuTime(r.pid)
			if err != nil {
				return nil, err
			}
			res[k].cpu[p] = c1 - c0
		}
	}
	for k, r := range regs {
		var err error
		if res[k].rssMiB, err = peakRSS(r.pid); err != nil {
			return nil, err
		}
	}
	if o.raw != "" {
		if err := writeRaw(o.raw, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// peakRSS is VmHWM of process pid in MiB.
func peakRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kib) / 1024, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
}

// cpuTime is the user+system CPU time of process pid so far (/proc/PID/stat fields 14 and
// 15, in clock ticks of 1/100 s, the kernel's USER_HZ).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // fields from 3 on
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too short", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// writeRaw writes each target's manifest and referrer PUT latencies, in push order.
func writeRaw(dir string, res []*result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, r := range res {
		slug := strings.Map(func(c rune) rune {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' {
				return c
			}
			return '-'
		}, strings.ToLower(r.name))
		for kind, lat := range map[string][]time.Duration{"manifest-put": r.push, "referrer-put": r.refPut} {
			var b []byte
			for _, d := range lat {
				b = strconv.AppendFloat(b, ms(d), 'f', 3, 64)
				b = append(b, '\n')
			}
			if err := os.WriteFile(filepath.Join(dir, slug+"."+kind+".txt"), b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
