package stacsearch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Summary is what the table shows of an item.
type Summary struct {
	ID         string
	Datetime   string // properties.datetime, else start_datetime/end_datetime
	Collection string
	Reference  string // properties["eopack:reference"], else the self link
	Pullable   bool   // Reference is an eopack reference (registry/repo@digest)
}

// Summarize reads the fields of the table from an item.
func Summarize(item json.RawMessage) (Summary, error) {
	var it struct {
		ID         string `json:"id"`
		Collection string `json:"collection"`
		Properties struct {
			Datetime  *string `json:"datetime"`
			Start     string  `json:"start_datetime"`
			End       string  `json:"end_datetime"`
			Reference string  `json:"eopack:reference"`
		} `json:"properties"`
		Links []link `json:"links"`
	}
	if err := json.Unmarshal(item, &it); err != nil {
		return Summary{}, fmt.Errorf("an item of the results is not a STAC Item: %v", err)
	}
	s := Summary{ID: it.ID, Collection: it.Collection}
	switch {
	case it.Properties.Datetime != nil:
		s.Datetime = *it.Properties.Datetime
	case it.Properties.Start != "" || it.Properties.End != "":
		s.Datetime = it.Properties.Start + "/" + it.Properties.End
	}
	if it.Properties.Reference != "" {
		s.Reference, s.Pullable = it.Properties.Reference, true
	} else {
		for _, l := range it.Links {
			if l.Rel == "self" {
				s.Reference = l.Href
				break
			}
		}
	}
	return s, nil
}

// Table writes summaries as aligned columns under a header line.
type Table struct{ w *tabwriter.Writer }

// NewTable starts a table on w.
func NewTable(w io.Writer) *Table {
	t := &Table{tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	fmt.Fprintln(t.w, "ID\tDATETIME\tCOLLECTION\tREFERENCE")
	return t
}

// Add writes one row.
func (t *Table) Add(s Summary) error {
	_, err := fmt.Fprintf(t.w, "%s\t%s\t%s\t%s\n", s.ID, s.Datetime, s.Collection, s.Reference)
	return err
}

// Close flushes the table.
func (t *Table) Close() error { return t.w.Flush() }

// Collection streams one ItemCollection (a GeoJSON FeatureCollection) to w: the features as
// they come, then numberReturned and, when the server counted, numberMatched.
type Collection struct {
	w io.Writer
	n int
}

// NewCollection starts an ItemCollection on w.
func NewCollection(w io.Writer) (*Collection, error) {
	_, err := io.WriteString(w, `{"type":"FeatureCollection","features":[`)
	return &Collection{w: w}, err
}

// Add writes one item, compacted.
func (c *Collection) Add(item json.RawMessage) error {
	var b []byte
	if c.n > 0 {
		b = append(b, ",\n"...)
	} else {
		b = append(b, '\n')
	}
	b, err := appendCompact(b, item)
	if err != nil {
		return err
	}
	c.n++
	_, err = c.w.Write(b)
	return err
}

// Close ends the collection; matched < 0 leaves numberMatched out.
func (c *Collection) Close(matched int64) error {
	tail := fmt.Sprintf("\n],\"numberReturned\":%d", c.n)
	if matched >= 0 {
		tail += fmt.Sprintf(",\"numberMatched\":%d", matched)
	}
	_, err := io.WriteString(c.w, tail+"}\n")
	return err
}

func appendCompact(dst []byte, src json.RawMessage) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, src); err != nil {
		return nil, err
	}
	return append(dst, b.Bytes()...), nil
}
