package progress

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"
)

// console is a terminal of 120 columns for mpb that keeps its screen as text: each flush
// rewrites the rows the previous one said were live (the bars), as mpb's cursor-up-and-erase
// does on a real terminal, and leaves the rows above (printed lines, finished bars) alone.
type console struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	screen []string
	live   int
	drawn  chan struct{}
}

func newConsole() *console { return &console{drawn: make(chan struct{}, 100)} }

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *console) ReadFrom(r io.Reader) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.ReadFrom(r)
}

func (c *console) IsTerminal() bool               { return true }
func (c *console) GetTermSize() (int, int, error) { return 120, 40, nil }

func (c *console) Flush(live int) error {
	c.mu.Lock()
	c.screen = c.screen[:len(c.screen)-c.live]
	for _, l := range strings.SplitAfter(c.buf.String(), "\n") {
		if l != "" {
			c.screen = append(c.screen, strings.TrimRight(l, " \n"))
		}
	}
	c.live = live
	c.buf.Reset()
	c.mu.Unlock()
	select {
	case c.drawn <- struct{}{}:
	default:
	}
	return nil
}

// text is the screen as a person sees it, trailing spaces removed.
func (c *console) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.screen, "\n")
}

// draw asks for a frame and returns the screen after it.
func (c *console) draw(t *testing.T, refresh chan any) string {
	t.Helper()
	refresh <- time.Now()
	select {
	case <-c.drawn:
	case <-time.After(10 * time.Second): // a hang, not a speed check
		t.Fatal("no frame drawn")
	}
	return c.text()
}

// TestTerminalBars: a blob in flight has a bar with bytes, percentage, speed and ETA; a blob
// done leaves its status line above the bars, in order with the lines printed; the total line sums the planned blobs; Close
// removes the total line, leaves the bar of a blob never finished as it was, and later lines
// go to the plain output.
func TestTerminalBars(t *testing.T) {
	c, refresh := newConsole(), make(chan any)
	var after bytes.Buffer
	tr := NewTerminal(&after, mpb.WithConsoleWriter(c), mpb.WithManualRefresh(refresh))
	big, small, gone := blob("big.tif", 4<<20), blob("small.tif", 1<<10), blob("gone.tif", 5)
	tr.Plan(big, small, gone)
	tr.Unplan(gone) // exists at the destination: not part of the total
	b := tr.Start("Uploading", big)
	b.Add(1 << 20)
	s := tr.Start("Uploading", small)
	s.Add(1 << 10)
	s.Done("Uploaded ")
	tr.Print(Line("Exists   ", gone))

	c.draw(t, refresh)
	screen := c.draw(t, refresh) // the finished bar has moved up
	hex := func(title string) string { return blob(title, 0).Digest.Encoded()[:12] }
	lines := strings.Split(screen, "\n")
	for i, re := range []string{
		`^Uploaded  ` + hex("small.tif") + ` small\.tif$`,
		`^Exists    ` + hex("gone.tif") + ` gone\.tif$`,
		`^Uploading ` + hex("big.tif") + ` big\.tif +\[=+>-+\] +1\.0 MiB / 4\.0 MiB +25 % +[\d.]+ [KMG]?i?B/s +ETA +\S+$`,
		`^Total +1/2 blobs +\[=+>-+\] +1\.0 MiB / 4\.0 MiB +25 % +[\d.]+ [KMG]?i?B/s +ETA +\S+$`,
	} {
		if len(lines) != 4 || !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d does not match %s; screen:\n%s", i+1, re, screen)
		}
	}

	tr.Close() // big.tif never finished: its bar stays as it was, the total goes
	screen = c.text()
	lines = strings.Split(screen, "\n")
	if len(lines) != 3 || lines[0] != "Uploaded  "+hex("small.tif")+" small.tif" ||
		!strings.HasPrefix(lines[2], "Uploading "+hex("big.tif")+" big.tif ") || !strings.Contains(lines[2], "1.0 MiB / 4.0 MiB") {
		t.Errorf("screen after Close:\n%s", screen)
	}
	tr.Print("Pushed 1 blobs")
	if after.String() != "Pushed 1 blobs\n" {
		t.Errorf("line after Close: %q", after.String())
	}
}

// TestTerminalWrapsLongLines: a line or a finished blob's status line wider than the
// terminal is wrapped onto the next rows, as the terminal wraps plain output, not cut short.
func TestTerminalWrapsLongLines(t *testing.T) {
	c, refresh := newConsole(), make(chan any)
	tr := NewTerminal(io.Discard, mpb.WithConsoleWriter(c), mpb.WithManualRefresh(refresh))
	tr.cols = func() int { return 120 }
	title := "S2B_MSIL2A_20241130T101319_N0511_R022_T33UUP_20241130T122734.SAFE/GRANULE/L2A_T33UUP_A040298_20241130T101647/IMG_DATA/R10m/T33UUP_B04_10m.jp2"
	d := blob(title, 10)
	b := tr.Start("Uploading", d)
	b.Add(5)
	c.draw(t, refresh)
	b.Done("Uploaded ")
	long := "Found 1 tag(s) in " + strings.Repeat("registry.example/eo/", 13) + ": v1"
	tr.Print(long)
	c.draw(t, refresh)
	c.draw(t, refresh)
	tr.Close()

	want := append(wrap(Line("Uploaded ", d), 119), wrap(long, 120)...)
	if len(want) != 5 {
		t.Fatalf("the test's lines should wrap to 2 and 3 rows: %q", want)
	}
	if got := c.text(); got != strings.Join(want, "\n") {
		t.Errorf("screen:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
