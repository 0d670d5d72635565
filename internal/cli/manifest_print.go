package cli

// Output shapes shared by the manifest, blob, tag and resolve verbs. They follow ORAS v1.3.6
// byte for byte, so scripts written against `oras` read eopack's output unchanged:
//   - a descriptor is compact JSON with no trailing newline, or indented JSON plus a newline
//     with --pretty;
//   - a status line is "<Verb> <first 12 hex of the digest> <title or media type>", the verb
//     padded to the width of "Uploading";
//   - --format json wraps a descriptor with "reference": "<path>@<digest>".

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/eopack/eopack/progress"
)

// writeJSON writes v compact with no newline (ORAS's default) or indented with a newline.
func writeJSON(w io.Writer, v any, pretty bool) error {
	var b []byte
	var err error
	if pretty {
		b, err = json.MarshalIndent(v, "", "  ")
		b = append(b, '\n')
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// writeContent writes raw JSON bytes as they are, or re-indented (keys in their original
// order) plus a newline when pretty.
func writeContent(w io.Writer, raw []byte, pretty bool) error {
	if !pretty {
		_, err := w.Write(raw)
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("content is not JSON, cannot --pretty it: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// descriptorOnly keeps the descriptor fields ORAS prints in --format json (--descriptor prints
// the whole descriptor).
func descriptorOnly(d ocispec.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{
		MediaType:    d.MediaType,
		Digest:       d.Digest,
		Size:         d.Size,
		Annotations:  d.Annotations,
		ArtifactType: d.ArtifactType,
	}
}

// fetchedJSON is ORAS's --format json shape of a fetched manifest.
type fetchedJSON struct {
	Reference string `json:"reference"`
	ocispec.Descriptor
	Content any `json:"content"`
}

// statusLine prints ORAS's transfer status: "Uploading 5891b5b522d5 a.txt".
func statusLine(w io.Writer, verb string, d ocispec.Descriptor) {
	fmt.Fprintln(w, progress.Line(verb, d))
}

// confirm asks prompt on out and reads one line from in; only "y" or "yes" confirm.
func confirm(in io.Reader, out io.Writer, prompt string) (bool, error) {
	fmt.Fprintf(out, "%s [y/N] ", prompt)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	fmt.Fprintln(out, "Operation cancelled.")
	return false, nil
}
