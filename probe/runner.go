package probe

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"
)

// cleanupTimeout limits the deletions after one check.
const cleanupTimeout = 30 * time.Second

// abandonGrace is how long the runner waits, after a check's deadline, for the check to
// notice its cancelled context before abandoning it and moving on.
var abandonGrace = 2 * time.Second

// Run probes one registry with every check (or those in o.Only) and returns the report. It
// never fails: an unreachable host or a refused credential is a result in the table.
func Run(ctx context.Context, o Options) Report {
	return RunChecks(ctx, o, Checks())
}

// RunAll probes several registries concurrently, one report per registry in the given order.
func RunAll(ctx context.Context, opts []Options) []Report {
	reports := make([]Report, len(opts))
	var wg sync.WaitGroup
	for i, o := range opts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i] = Run(ctx, o)
		}()
	}
	wg.Wait()
	return reports
}

// RunChecks runs the given checks in order against one registry. Each runs under its own
// deadline with panics recovered, so one hanging or crashing check never stops the others.
// When a gate check (reach, auth) does not pass, the checks after it are skipped.
func RunChecks(ctx context.Context, o Options, checks []Check) Report {
	env := newEnv(o)
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	only := map[string]bool{}
	for _, id := range o.Only {
		only[id] = true
	}
	rep := Report{Registry: env.Registry, Repository: env.Repo}
	skipReason := ""
	for _, c := range checks {
		gate := c.ID == "reach" || c.ID == "auth"
		if len(only) > 0 && !only[c.ID] && !gate {
			continue
		}
		var r Result
		switch {
		case skipReason != "":
			r = Result{Status: Skip, Summary: skipReason}
		case ctx.Err() != nil:
			r = Result{Status: Skip, Summary: "probe interrupted"}
		default:
			r = runOne(ctx, env, c, timeout)
		}
		r.ID, r.Title = c.ID, c.Title
		r.Seconds = r.Duration.Round(time.Millisecond).Seconds()
		rep.Results = append(rep.Results, r)
		if gate && r.Status != Pass && skipReason == "" {
			skipReason = c.ID + " did not pass"
		}
	}
	return rep
}

// runOne runs a check under its deadline, recovers its panics, then deletes what it pushed.
func runOne(ctx context.Context, shared *Env, c Check, timeout time.Duration) Result {
	e := shared.fork()
	if c.Budget != nil {
		timeout = c.Budget(e, timeout)
	}
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				e.record("panic: %v at %s", p, panicSite(debug.Stack()))
				done <- fail("check crashed: %v", p)
			}
		}()
		done <- c.Run(cctx, e)
	}()
	timedOut := func(r Result) Result {
		if cctx.Err() == context.DeadlineExceeded && r.Status != Pass {
			return fail("timed out after %s (%s)", timeout, r.Summary)
		}
		return r
	}
	var r Result
	abandoned := false
	select {
	case r = <-done:
		r = timedOut(r)
	case <-cctx.Done():
		// Give the check a moment to return its own (more precise) result.
		select {
		case r = <-done:
			r = timedOut(r)
		case <-time.After(abandonGrace):
			r, abandoned = fail("timed out after %s", timeout), true
		}
	}
	cancel()
	r.Duration = time.Since(start)

	cleanCtx, cancelClean := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	r.Leftovers = e.cleanup(cleanCtx)
	cancelClean()
	if abandoned {
		r.Leftovers = append(r.Leftovers, "check abandoned at its time limit: anything it pushed afterwards was not deleted")
	}

	e.mu.Lock()
	r.Evidence = append(r.Evidence, e.trace...)
	e.mu.Unlock()
	return r
}

// cleanup cancels open uploads, then deletes the manifests a check pushed (newest first, so
// an index or referrer goes before what it points to), then its blobs. It returns what it
// could not delete.
func (e *Env) cleanup(ctx context.Context) []string {
	e.mu.Lock()
	uploads := append([]string(nil), e.uploads...)
	manifests := append([]pushed(nil), e.manifests...)
	blobs := append([]pushed(nil), e.blobs...)
	e.mu.Unlock()

	quiet := e.fork() // deletions are not evidence of the check
	var left []string
	for _, u := range uploads {
		_, _ = quiet.do(ctx, http.MethodDelete, u, nil, nil)
	}
	// Tags first (a registry may refuse deleting manifests but allow untagging), then
	// manifests by digest, which removes any tag left on them.
	for i := len(manifests) - 1; i >= 0; i-- {
		if m := manifests[i]; m.tag != "" {
			_, _ = quiet.do(ctx, http.MethodDelete, manifestPath(m.repo, m.tag), nil, nil)
		}
	}
	deleted := map[string]bool{}
	for i := len(manifests) - 1; i >= 0; i-- {
		m := manifests[i]
		key := m.repo + "@" + m.ref
		if deleted[key] {
			continue
		}
		r, err := quiet.do(ctx, http.MethodDelete, manifestPath(m.repo, m.ref), nil, nil)
		switch {
		case err != nil:
			left = append(left, fmt.Sprintf("manifest %s (%s)", key, shortErr(err)))
		case r.Status == http.StatusAccepted || r.Status == http.StatusNotFound:
			deleted[key] = true
		default:
			left = append(left, fmt.Sprintf("manifest %s (DELETE → %s)", key, r))
		}
	}
	for _, b := range blobs {
		r, err := quiet.do(ctx, http.MethodDelete, fmt.Sprintf("/v2/%s/blobs/%s", b.repo, b.ref), nil, nil)
		switch {
		case err != nil:
			left = append(left, fmt.Sprintf("blob %s@%s (%s)", b.repo, b.ref, shortErr(err)))
		case r.Status == http.StatusAccepted || r.Status == http.StatusNotFound:
		default:
			left = append(left, fmt.Sprintf("blob %s@%s (DELETE → %s)", b.repo, b.ref, r))
		}
	}
	return left
}

// panicSite picks the function and file:line that panicked out of a goroutine stack.
func panicSite(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") && i+3 < len(lines) {
			return strings.TrimSpace(lines[i+2]) + " " + strings.TrimSpace(lines[i+3])
		}
	}
	return "unknown"
}

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}
