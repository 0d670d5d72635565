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

// console is a terminal of 120 columns for mpb that keeps each drawn frame (the lines
// printed above the bars since the last frame, then the bars) as text.
type console struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	frames []string
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
func (c *console) Flush(int) error {
	c.mu.Lock()
	c.frames = append(c.frames, c.buf.String())
	c.buf.Reset()
	c.mu.Unlock()
	c.drawn <- struct{}{}
	return nil
}

// draw asks for a frame and returns it.
func (c *console) draw(t *testing.T, refresh chan any) string {
	t.Helper()
	refresh <- time.Now()
	select {
	case <-c.drawn:
	case <-time.After(10 * time.Second): // a hang, not a speed check
		t.Fatal("no frame drawn")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames[len(c.frames)-1]
}

// TestTerminalBars: a blob in flight has a bar with bytes, percentage, speed and ETA; a blob
// done leaves its status line above the bars; the total line sums the planned blobs; Close
// removes the bars of blobs never finished and later lines go to the plain output.
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

	frame := c.draw(t, refresh)
	hex := func(title string) string { return blob(title, 0).Digest.Encoded()[:12] }
	for _, re := range []string{
		`(?m)^Uploaded  ` + hex("small.tif") + ` small\.tif$`,
		`(?m)^Uploading ` + hex("big.tif") + ` big\.tif +\[=+>-+\] +1\.0 MiB / 4\.0 MiB +25 % +[\d.]+ [KMG]?i?B/s +ETA +\S+$`,
		`(?m)^Total +1/2 blobs +\[=+>-+\] +1\.0 MiB / 4\.0 MiB +25 % +[\d.]+ [KMG]?i?B/s +ETA +\S+$`,
	} {
		if !regexp.MustCompile(re).MatchString(frame) {
			t.Errorf("frame lacks %s:\n%s", re, frame)
		}
	}

	tr.Close() // big.tif never finished: its bar and the total go
	if n := strings.Count(c.drawnText(), "Uploaded  "+hex("small.tif")); n != 1 {
		t.Errorf("small.tif's line printed %d times", n)
	}
	if last := c.lastFrame(); strings.Contains(last, "[") {
		t.Errorf("bars left after Close:\n%s", last)
	}
	tr.Print("Pushed 1 blobs")
	if after.String() != "Pushed 1 blobs\n" {
		t.Errorf("line after Close: %q", after.String())
	}
}

func (c *console) lastFrame() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames[len(c.frames)-1]
}

func (c *console) drawnText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.frames, "")
}
