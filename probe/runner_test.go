package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func fakeCheck(id string, run func(ctx context.Context, e *Env) Result) Check {
	return Check{ID: id, Title: "title of " + id, Run: run}
}

func TestRunnerIsolatesPanicsAndTimeouts(t *testing.T) {
	old := abandonGrace
	abandonGrace = 50 * time.Millisecond
	t.Cleanup(func() { abandonGrace = old })

	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	checks := []Check{
		fakeCheck("panics", func(context.Context, *Env) Result { panic("boom") }),
		fakeCheck("hangs", func(context.Context, *Env) Result { <-block; return pass("never") }),
		fakeCheck("honours-ctx", func(ctx context.Context, _ *Env) Result {
			<-ctx.Done()
			return fail("gave up: %v", ctx.Err())
		}),
		fakeCheck("passes", func(context.Context, *Env) Result { return pass("fine") }),
		fakeCheck("unsupported", func(context.Context, *Env) Result { return unsupported("nope") }),
	}
	rep := RunChecks(context.Background(), Options{Registry: "127.0.0.1:1", Timeout: 200 * time.Millisecond}, checks)
	want := map[string]Status{"panics": Fail, "hangs": Fail, "honours-ctx": Fail, "passes": Pass, "unsupported": Unsupported}
	if len(rep.Results) != len(want) {
		t.Fatalf("got %d results, want %d", len(rep.Results), len(want))
	}
	for _, r := range rep.Results {
		if r.Status != want[r.ID] {
			t.Errorf("%s: status %s (%s), want %s", r.ID, r.Status, r.Summary, want[r.ID])
		}
		if r.Title != "title of "+r.ID {
			t.Errorf("%s: title %q", r.ID, r.Title)
		}
	}
	byID := map[string]Result{}
	for _, r := range rep.Results {
		byID[r.ID] = r
	}
	if s := byID["panics"].Summary; s != "check crashed: boom" {
		t.Errorf("panic summary %q", s)
	}
	if ev := byID["panics"].Evidence; len(ev) != 1 || !strings.Contains(ev[0], "runner_test.go") {
		t.Errorf("panic evidence %q does not name where it panicked", ev)
	}
	if s := byID["hangs"].Summary; s != "timed out after 200ms" {
		t.Errorf("hang summary %q", s)
	}
	if l := byID["hangs"].Leftovers; len(l) != 1 || !strings.Contains(l[0], "abandoned") {
		t.Errorf("hang leftovers %q", l)
	}
	if s := byID["honours-ctx"].Summary; !strings.Contains(s, "timed out") || !strings.Contains(s, "gave up") {
		t.Errorf("ctx summary %q", s)
	}
	if !strings.HasPrefix(rep.Repository, "eopack-probe/") {
		t.Errorf("default scratch repository %q", rep.Repository)
	}
}

func TestGateSkipsTheRestAndOnlyFilters(t *testing.T) {
	ran := map[string]bool{}
	mk := func(id string, st Status) Check {
		return fakeCheck(id, func(context.Context, *Env) Result { ran[id] = true; return Result{Status: st} })
	}
	rep := RunChecks(context.Background(), Options{Registry: "127.0.0.1:1"},
		[]Check{mk("reach", Fail), mk("auth", Pass), mk("range", Pass)})
	if ran["auth"] || ran["range"] {
		t.Fatalf("checks ran after the gate failed: %v", ran)
	}
	for _, r := range rep.Results[1:] {
		if r.Status != Skip || r.Summary != "reach did not pass" {
			t.Errorf("%s: %s %q, want skip", r.ID, r.Status, r.Summary)
		}
	}

	ran = map[string]bool{}
	rep = RunChecks(context.Background(), Options{Registry: "127.0.0.1:1", Only: []string{"range"}},
		[]Check{mk("reach", Pass), mk("auth", Pass), mk("dedup", Pass), mk("range", Pass)})
	var ids []string
	for _, r := range rep.Results {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, ","); got != "reach,auth,range" {
		t.Errorf("--only range ran %s, want reach,auth,range", got)
	}
}

func TestRenderTable(t *testing.T) {
	reports := []Report{
		{Registry: "a:1", Repository: "eopack-probe/x", Results: []Result{
			{ID: "reach", Title: "reachable", Status: Pass, Summary: "200"},
			{ID: "range", Title: "Range | reads", Status: Fail, Summary: "206 with wrong bytes"},
		}},
		{Registry: "b:2", Repository: "eopack-probe/y", Results: []Result{
			{ID: "reach", Title: "reachable", Status: Pass, Summary: "401"},
			{ID: "range", Title: "Range | reads", Status: Unsupported, Summary: "200: Range ignored",
				Leftovers: []string{"blob eopack-probe/y@sha256:ab (DELETE → 405 UNSUPPORTED)"}},
		}},
	}
	var text bytes.Buffer
	if err := Render(&text, "text", reports, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	if !strings.HasPrefix(lines[0], "CHECK") || !strings.Contains(lines[0], "a:1") || !strings.Contains(lines[0], "b:2") {
		t.Errorf("header %q", lines[0])
	}
	// Columns line up: the second registry's cells start at the same offset on every row.
	col := strings.Index(lines[0], "b:2")
	for _, l := range lines[1:3] {
		if strings.Index(l, "pass: 401") != col && strings.Index(l, "unsupported: 200") != col {
			t.Errorf("misaligned row %q (column at %d)", l, col)
		}
	}
	if !strings.Contains(text.String(), "a:1: scratch repository eopack-probe/x; every pushed manifest and blob deleted") ||
		!strings.Contains(text.String(), "could not delete 1 item(s)") {
		t.Errorf("footer missing:\n%s", text.String())
	}

	var md bytes.Buffer
	if err := Render(&md, "markdown", reports, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| check | a:1 | b:2 |", "|---|---|---|",
		`| Range \| reads | **fail**: 206 with wrong bytes | unsupported: 200: Range ignored |`} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}

	var js bytes.Buffer
	if err := Render(&js, "json", reports, false); err != nil {
		t.Fatal(err)
	}
	var back []Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back) != 2 || back[1].Results[1].Status != Unsupported {
		t.Errorf("json round trip: %v %+v", err, back)
	}
	if err := Render(&js, "yaml", reports, false); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestGenIsDeterministicAndSeekable(t *testing.T) {
	all := make([]byte, 1000)
	n, _ := newGen(7, 0, 1000).Read(all)
	if n != 1000 {
		t.Fatalf("read %d", n)
	}
	part := make([]byte, 300)
	if n, _ := newGen(7, 333, 300).Read(part); n != 300 || !bytes.Equal(part, all[333:633]) {
		t.Fatal("a slice of the stream differs from the same bytes of the whole stream")
	}
	other := make([]byte, 1000)
	newGen(8, 0, 1000).Read(other)
	if bytes.Equal(all, other) {
		t.Fatal("seeds do not matter")
	}
}

func TestFmtSize(t *testing.T) {
	for n, want := range map[int64]string{64 << 20: "64 MiB", 4<<20 + 16<<10: "4.02 MiB", 1024: "1 KiB", 10: "10 B", 1536: "1.5 KiB"} {
		if got := fmtSize(n); got != want {
			t.Errorf("fmtSize(%d) = %q, want %q", n, got, want)
		}
	}
}
