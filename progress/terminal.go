package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// Terminal draws one bar per blob in flight and a total line below them, redrawn in place
// (github.com/vbauerster/mpb), e.g.
//
//	Uploaded  5c1a9e0b7f34 small.tif
//	Uploading 9d8c7b6a5f4e big.tif  [=======>------------] 120.0 MiB / 512.0 MiB 23 % 8.0 MiB/s  ETA 49s
//	Total     1/2 blobs             [=======>------------] 120.0 MiB / 512.0 MiB 23 % 8.0 MiB/s  ETA 49s
//
// A finished blob's bar turns into its status line and moves up above the bars, in turn with
// the lines printed meanwhile ("Exists …"); so when a transfer ends the screen holds the
// lines Plain prints, but for the start lines, which the bars stood for. A blob that never
// finishes (the transfer failed) keeps its bar as it last was.
type Terminal struct {
	p    *mpb.Progress
	out  io.Writer  // where lines go once closed
	cols func() int // the terminal's width; 0 when unknown

	mu      sync.Mutex
	closed  bool
	total   *mpb.Bar
	sizes   map[digest.Digest]int64 // every blob of the total line
	started map[digest.Digest]bool
	done    map[digest.Digest]bool // finished blobs (a digest under two titles counts once)
	bars    map[*mpb.Bar]bool      // bars drawn
	// finished counts the blobs done and lines printed: the n-th gets priority -n, so that
	// finished rows keep their order when mpb moves them up (of the rows finished within one
	// redraw, mpb moves the one of highest priority first)
	finished int
	// read by the total line's label while mpb draws, which must never wait for mu (mpb's
	// calls made under mu would wait for the drawing in turn)
	nDone, nBlobs atomic.Int64
	first         atomic.Int64 // when the first byte of any blob moved (Unix nanoseconds)
}

// NewTerminal returns a Terminal drawing on w, a terminal, with mpb's options (tests pass
// mpb.WithConsoleWriter and mpb.WithManualRefresh). Lines printed after Close go to w too.
func NewTerminal(w io.Writer, opts ...mpb.ContainerOption) *Terminal {
	opts = append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(40), mpb.PopCompletedMode()}, opts...)
	t := &Terminal{p: mpb.New(opts...), out: w, cols: func() int { return 0 }, sizes: map[digest.Digest]int64{},
		started: map[digest.Digest]bool{}, done: map[digest.Digest]bool{}, bars: map[*mpb.Bar]bool{}}
	if f, ok := w.(*os.File); ok {
		t.cols = func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return w
		}
	}
	return t
}

// wrap cuts line into rows of at most cols characters, as the terminal wraps a line it is
// given (mpb would cut a row short instead); cols 0 leaves it whole.
func wrap(line string, cols int) []string {
	r := []rune(line)
	if cols <= 0 || len(r) <= cols {
		return []string{line}
	}
	var rows []string
	for len(r) > cols {
		rows = append(rows, string(r[:cols]))
		r = r[cols:]
	}
	return append(rows, string(r))
}

// maxTitle is the most of a title a bar shows (its end, after "…"), so the bar keeps its room.
const maxTitle = 36

// label is a bar's status line, with a long title cut short.
func label(verb string, d ocispec.Descriptor) string {
	if r := []rune(name(d)); len(r) > maxTitle {
		d.Annotations = map[string]string{ocispec.AnnotationTitle: "…" + string(r[len(r)-maxTitle+1:])}
	}
	return Line(verb, d)
}

// Start adds a bar for d.
func (t *Terminal) Start(verb string, d ocispec.Descriptor) Bar {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		fmt.Fprintln(t.out, Line(verb, d))
		return &plainBar{NewPlain(t.out), d}
	}
	t.started[d.Digest] = true
	t.plan(d)
	tb := &termBar{t: t, d: d}
	running := label(verb, d)
	// Built with total 0, the bar completes only when Done says so (not when the last byte
	// is read, before the registry took the blob); its line is then the blob's status line.
	tb.b = t.p.New(0, barStyle(),
		mpb.PrependDecorators(decor.Any(func(s decor.Statistics) string {
			if s.Completed {
				return tb.line()
			}
			return running
		}, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(rates(&tb.first, true)...),
		mpb.BarFillerClearOnComplete(),
	)
	tb.b.SetTotal(d.Size, false)
	t.bars[tb.b] = true
	t.showTotal()
	return tb
}

// Plan adds ds to the total line.
func (t *Terminal) Plan(ds ...ocispec.Descriptor) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range ds {
		t.plan(d)
	}
	if t.total != nil {
		t.total.SetTotal(t.sum(), false)
	}
}

func (t *Terminal) plan(d ocispec.Descriptor) {
	if _, ok := t.sizes[d.Digest]; !ok {
		t.sizes[d.Digest] = d.Size
		t.nBlobs.Store(int64(len(t.sizes)))
	}
}

// Unplan takes d off the total line unless it was started.
func (t *Terminal) Unplan(d ocispec.Descriptor) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started[d.Digest] {
		return
	}
	delete(t.sizes, d.Digest)
	t.nBlobs.Store(int64(len(t.sizes)))
	if t.total != nil {
		t.total.SetTotal(t.sum(), false)
	}
}

func (t *Terminal) sum() int64 {
	var n int64
	for _, s := range t.sizes {
		n += s
	}
	return n
}

// showTotal adds the total line below the bars when the first blob starts, and updates its
// total after.
func (t *Terminal) showTotal() {
	if t.total != nil {
		t.total.SetTotal(t.sum(), false)
		return
	}
	label := decor.Any(func(decor.Statistics) string {
		return fmt.Sprintf("%-9s %d/%d blobs", "Total", t.nDone.Load(), t.nBlobs.Load())
	}, decor.WCSyncSpaceR)
	// built with total 0, the line never completes by itself as blobs are added to it
	t.total = t.p.New(0, barStyle(),
		mpb.PrependDecorators(label),
		mpb.AppendDecorators(rates(&t.first, false)...),
		mpb.BarPriority(1<<30), // always the last line
		mpb.BarNoPop(),         // and gone at the end
	)
	t.total.SetTotal(t.sum(), false)
}

func barStyle() mpb.BarFillerBuilder {
	return mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding("-").Rbound("]")
}

// rates are the decorators after a bar: bytes moved and in all, percentage, and the average
// speed since the first byte moved (at *first, Unix nanoseconds) with the time left at that
// speed ("-" until bytes move: a blob may wait its turn); with blank set, nothing once the bar
// is complete.
func rates(first *atomic.Int64, blank bool) []decor.Decorator {
	speed := func(s decor.Statistics) (float64, bool) {
		t0 := first.Load()
		el := time.Since(time.Unix(0, t0)).Seconds()
		if t0 == 0 || s.Current == 0 || el <= 0 {
			return 0, false
		}
		return float64(s.Current) / el, true
	}
	ds := []decor.Decorator{
		decor.Counters(decor.SizeB1024(0), "% .1f / % .1f", decor.WCSyncWidth),
		decor.Percentage(decor.WCSyncSpace),
		decor.Any(func(s decor.Statistics) string {
			v, ok := speed(s)
			if !ok {
				return "-"
			}
			return fmt.Sprintf("% .1f/s", decor.SizeB1024(int64(v)))
		}, decor.WCSyncSpace),
		decor.Name("  ETA"),
		decor.Any(func(s decor.Statistics) string {
			v, ok := speed(s)
			if !ok {
				return "-"
			}
			left := time.Duration(float64(max(s.Total-s.Current, 0)) / v * float64(time.Second))
			return left.Round(time.Second).String()
		}, decor.WCSyncSpace),
	}
	if blank {
		for i, d := range ds {
			ds[i] = decor.OnComplete(d, "")
		}
	}
	return ds
}

// Print writes line above the bars. The line is drawn as a finished bar of its own, so it
// moves up in turn with the bars finished before it: a summary printed after the last blob's
// Done comes below that blob's line.
func (t *Terminal) Print(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		fmt.Fprintln(t.out, line)
		return
	}
	t.printRows(wrap(line, t.cols()))
}

// printRows draws each row as a finished bar, next in order. Call with mu held.
func (t *Terminal) printRows(rows []string) {
	for _, row := range rows {
		t.finished++
		b := t.p.New(0, mpb.NopStyle(), mpb.PrependDecorators(decor.Name(row)), mpb.BarFillerTrim(),
			mpb.BarPriority(-t.finished))
		b.SetTotal(0, true)
	}
}

// Close leaves the bars of unfinished blobs as they are, drops the total line and waits for
// the last redraw.
func (t *Terminal) Close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	for b := range t.bars {
		b.Abort(false)
	}
	if t.total != nil {
		t.total.Abort(true)
	}
	t.mu.Unlock()
	t.p.Wait()
}

type termBar struct {
	t     *Terminal
	b     *mpb.Bar
	d     ocispec.Descriptor
	once  sync.Once
	row   atomic.Pointer[string] // the first row of its status line, set by Done
	first atomic.Int64           // when its first byte moved (Unix nanoseconds)
}

// line is the finished blob's status line (its first row, when it is wider than the
// terminal: Done prints the others).
func (b *termBar) line() string {
	if v := b.row.Load(); v != nil {
		return *v
	}
	return ""
}

func (b *termBar) Add(n int64) {
	now := time.Now().UnixNano()
	b.first.CompareAndSwap(0, now)
	b.t.first.CompareAndSwap(0, now)
	b.b.IncrInt64(n)
	b.t.mu.Lock()
	total := b.t.total
	b.t.mu.Unlock()
	if total != nil {
		total.IncrInt64(n)
	}
}

// Resolve gives the blob its descriptor once known (its digest, computed while it moved).
func (b *termBar) Resolve(d ocispec.Descriptor) {
	b.t.mu.Lock()
	defer b.t.mu.Unlock()
	if b.d.Digest != d.Digest {
		delete(b.t.sizes, b.d.Digest)
		b.t.sizes[d.Digest] = d.Size
	}
	b.d = d
}

// Done completes the bar, which turns into the blob's status line.
func (b *termBar) Done(verb string) {
	b.once.Do(func() {
		b.t.mu.Lock()
		defer b.t.mu.Unlock()
		if b.t.closed {
			fmt.Fprintln(b.t.out, Line(verb, b.d))
			return
		}
		// the bar's row keeps one column for the space mpb puts after its label
		rows := wrap(Line(verb, b.d), b.t.cols()-1)
		b.row.Store(&rows[0])
		if !b.t.done[b.d.Digest] {
			b.t.done[b.d.Digest] = true
			b.t.nDone.Add(1)
		}
		if b.t.total != nil {
			b.t.total.IncrInt64(b.d.Size - b.b.Current()) // bytes the copy did not count
		}
		delete(b.t.bars, b.b)
		b.t.finished++
		b.b.SetPriority(-b.t.finished)
		b.b.SetTotal(b.d.Size, true)
		b.t.printRows(rows[1:]) // after the bar's own row, which is complete by now
	})
}
