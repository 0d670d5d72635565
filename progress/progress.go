// Package progress shows the blobs of a transfer as they move. On a terminal (Terminal), each
// blob in flight has a bar with its bytes, speed and ETA, above one total line; elsewhere
// (Plain), ORAS's status lines are printed, one per event ("Uploading 3f2a1b4c5d6e band.tif").
// Both print the same status lines for finished and skipped blobs, so once a transfer ends a
// terminal shows what a log shows.
//
// Bytes are counted by wrapping the reader a copy reads from (Reader), so the code that sends
// or writes them (uploaders, ranged downloads) needs no hook of its own.
package progress

import (
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Tracker shows the blobs of one command's transfers. Safe for concurrent use.
type Tracker interface {
	// Start shows d as in flight under verb (e.g. "Uploading") and returns its bar.
	Start(verb string, d ocispec.Descriptor) Bar
	// Plan announces blobs to come (their sizes make the total line's total); optional.
	Plan(ds ...ocispec.Descriptor)
	// Unplan withdraws a planned blob that will not be transferred (it exists already).
	Unplan(d ocispec.Descriptor)
	// Print writes line (without its newline) above the bars.
	Print(line string)
	// Close removes what is still drawn (bars of a transfer that failed) and returns once the
	// screen is final; later calls print plainly.
	Close()
}

// Bar is one blob in flight.
type Bar interface {
	// Add counts n more bytes moved.
	Add(n int64)
	// Done ends the blob: its bar gives way to its status line under verb ("Uploaded ",
	// "Exists   ").
	Done(verb string)
}

// Resolve gives bar the descriptor of its blob once known, for a blob whose digest is
// computed while it moves (started with an empty one); bars that cannot take it ignore it.
func Resolve(bar Bar, d ocispec.Descriptor) {
	if r, ok := bar.(interface{ Resolve(ocispec.Descriptor) }); ok {
		r.Resolve(d)
	}
}

// Line is ORAS's status line for d: the verb padded to 9 columns, the first 12 hex digits of
// the digest, and the title (the media type when untitled).
func Line(verb string, d ocispec.Descriptor) string {
	if d.Digest == "" { // not known yet
		return fmt.Sprintf("%-9s %s", verb, name(d))
	}
	return fmt.Sprintf("%-9s %s %s", verb, shortHex(d), name(d))
}

func shortHex(d ocispec.Descriptor) string {
	hex := d.Digest.Encoded()
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return hex
}

func name(d ocispec.Descriptor) string {
	if n := d.Annotations[ocispec.AnnotationTitle]; n != "" {
		return n
	}
	return d.MediaType
}
