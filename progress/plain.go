package progress

import (
	"fmt"
	"io"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Plain prints status lines only, one per event, as eopack always has off a terminal.
type Plain struct {
	mu sync.Mutex
	w  io.Writer
}

// NewPlain returns a Plain tracker writing to w.
func NewPlain(w io.Writer) *Plain { return &Plain{w: w} }

// Start prints d's line under verb.
func (p *Plain) Start(verb string, d ocispec.Descriptor) Bar {
	p.Print(Line(verb, d))
	return &plainBar{p, d}
}

// Plan does nothing: there is no total line.
func (p *Plain) Plan(...ocispec.Descriptor) {}

// Unplan does nothing.
func (p *Plain) Unplan(ocispec.Descriptor) {}

// Print writes line and a newline.
func (p *Plain) Print(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, line)
}

// Close does nothing.
func (p *Plain) Close() {}

type plainBar struct {
	p *Plain
	d ocispec.Descriptor
}

func (*plainBar) Add(int64) {}

func (b *plainBar) Done(verb string) { b.p.Print(Line(verb, b.d)) }

// Resolve gives the blob its descriptor once known (its digest, computed while it moved).
func (b *plainBar) Resolve(d ocispec.Descriptor) { b.d = d }
