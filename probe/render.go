package probe

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Formats accepted by Render.
var Formats = []string{"text", "json", "markdown"}

// Render writes reports as one table with a row per check and a column per registry.
// verbose adds every check's evidence (text format; JSON always has it).
func Render(w io.Writer, format string, reports []Report, verbose bool) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(reports)
	case "markdown":
		return renderMarkdown(w, reports)
	case "text", "":
		return renderText(w, reports, verbose)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

// row is one check across every registry; a cell is empty where a registry did not run it.
type row struct {
	id, title string
	cells     []*Result
}

func rows(reports []Report) []row {
	var out []row
	at := map[string]int{}
	for i, rep := range reports {
		for j := range rep.Results {
			r := &rep.Results[j]
			k, ok := at[r.ID]
			if !ok {
				k = len(out)
				at[r.ID] = k
				out = append(out, row{id: r.ID, title: r.Title, cells: make([]*Result, len(reports))})
			}
			out[k].cells[i] = r
		}
	}
	return out
}

func cell(r *Result) string {
	if r == nil {
		return "—"
	}
	if r.Summary == "" {
		return string(r.Status)
	}
	return string(r.Status) + ": " + r.Summary
}

const textCellWidth = 64

func renderText(w io.Writer, reports []Report, verbose bool) error {
	header := []string{"CHECK"}
	for _, rep := range reports {
		header = append(header, rep.Registry)
	}
	table := [][]string{header}
	for _, r := range rows(reports) {
		line := []string{r.id}
		for _, c := range r.cells {
			line = append(line, clip(cell(c), textCellWidth))
		}
		table = append(table, line)
	}
	widths := make([]int, len(header))
	for _, line := range table {
		for i, c := range line {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, line := range table {
		for i, c := range line {
			if i == len(line)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	writeFooter(&b, reports, "")
	if verbose {
		for _, rep := range reports {
			for _, r := range rep.Results {
				fmt.Fprintf(&b, "\n%s %s: %s\n", rep.Registry, r.ID, cell(&r))
				for _, ev := range r.Evidence {
					fmt.Fprintf(&b, "    %s\n", ev)
				}
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func renderMarkdown(w io.Writer, reports []Report) error {
	var b strings.Builder
	b.WriteString("| check |")
	for _, rep := range reports {
		fmt.Fprintf(&b, " %s |", mdEscape(rep.Registry))
	}
	b.WriteString("\n|---|")
	for range reports {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows(reports) {
		fmt.Fprintf(&b, "| %s |", mdEscape(r.title))
		for _, c := range r.cells {
			text := cell(c)
			if c != nil && c.Status == Fail {
				text = "**" + string(c.Status) + "**" + strings.TrimPrefix(text, string(c.Status))
			}
			fmt.Fprintf(&b, " %s |", mdEscape(text))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	writeFooter(&b, reports, "- ")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFooter names each scratch repository and what could not be deleted from it.
func writeFooter(b *strings.Builder, reports []Report, bullet string) {
	for _, rep := range reports {
		var left []string
		for _, r := range rep.Results {
			left = append(left, r.Leftovers...)
		}
		if len(left) == 0 {
			fmt.Fprintf(b, "%s%s: scratch repository %s; every pushed manifest and blob deleted\n", bullet, rep.Registry, rep.Repository)
			continue
		}
		fmt.Fprintf(b, "%s%s: scratch repository %s; could not delete %d item(s):\n", bullet, rep.Registry, rep.Repository, len(left))
		for _, l := range left {
			fmt.Fprintf(b, "%s  %s\n", strings.Repeat(" ", len(bullet)), l)
		}
	}
}

// mdEscape keeps a cell one cell: pipes escaped, no line breaks, and angle brackets as
// entities so "sha256-<hex>" is not taken for an HTML tag.
var mdEscape = strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
