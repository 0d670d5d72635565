package cli

// Progress bars of the transfer verbs (push, pull, cp, attach, backup, restore, mirror, blob
// push, blob fetch). As ORAS draws them, they go to stderr, stdout being for output a script
// reads; unlike ORAS, they are drawn only when stdout is a terminal too, so that output
// piped or redirected keeps its status lines exactly as without a terminal. --no-tty and
// --debug (whose log goes to stderr) turn them off, and so do --format json and go-template,
// which print the model alone.

import (
	"context"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/eopack/eopack/files"
	"github.com/eopack/eopack/progress"
	"github.com/eopack/eopack/target"
)

// terminal is stderr when progress bars are to be drawn on it: stdout and stderr are
// terminals and no side was given --no-tty or --debug.
func (stdio *IO) terminal(sides ...target.Options) (*os.File, bool) {
	for _, o := range sides {
		if o.NoTTY || o.Debug {
			return nil, false
		}
	}
	out, ok1 := stdio.Out.(*os.File)
	errf, ok2 := stdio.Err.(*os.File)
	if !ok1 || !ok2 || !term.IsTerminal(int(out.Fd())) || !term.IsTerminal(int(errf.Fd())) {
		return nil, false
	}
	return errf, true
}

// newTransferPrinter prints a transfer's status lines to stdout or, on a terminal, draws its
// bars on stderr with the lines above them; quiet prints nothing. Close it (p.close) before
// writing to stdout directly.
func newTransferPrinter(stdio *IO, quiet bool, sides ...target.Options) *printer {
	if f, ok := stdio.terminal(sides...); ok && !quiet {
		return &printer{t: progress.NewTerminal(f), out: stdio.Out}
	}
	return newPrinter(stdio.Out, quiet)
}

// countBody is rc counting its bytes into add. A body that writes itself into the file as
// parallel ranges (files.RangesWriterTo, remote.Ranged's) keeps that capability and counts
// each range as it lands.
func countBody(rc io.ReadCloser, size int64, add func(int64)) io.ReadCloser {
	c := progress.Reader(rc, add)
	if rw, ok := rc.(files.RangesWriterTo); ok {
		return rangedBody{c, rw, size, add}
	}
	return c
}

type rangedBody struct {
	io.ReadCloser
	rw   files.RangesWriterTo
	size int64
	add  func(int64)
}

var _ files.RangesWriterTo = rangedBody{}

func (b rangedBody) WriteRangesTo(ctx context.Context, dst io.WriterAt, missing [][2]int64, done func(off, n int64)) (bool, error) {
	if missing != nil { // a resumed blob: what an earlier run fetched counts as done
		present := b.size
		for _, m := range missing {
			present -= m[1] - m[0]
		}
		b.add(present)
	}
	return b.rw.WriteRangesTo(ctx, dst, missing, func(off, n int64) {
		b.add(n)
		done(off, n)
	})
}
