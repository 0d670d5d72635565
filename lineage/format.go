package lineage

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the tree: the product, then its inputs indented below it.
func WriteText(w io.Writer, n *Node) {
	fmt.Fprintln(w, label(n))
	writeChildren(w, n, "")
}

func writeChildren(w io.Writer, n *Node, indent string) {
	for i, c := range n.Inputs {
		last := i == len(n.Inputs)-1
		branch, pad := "├── ", "│   "
		if last {
			branch, pad = "└── ", "    "
		}
		fmt.Fprintln(w, indent+branch+label(c))
		writeChildren(w, c, indent+pad)
	}
}

func label(n *Node) string {
	s := n.Reference()
	if n.Processor != nil {
		s += " (" + strings.TrimSpace(n.Processor.Name+" "+n.Processor.Version) + ")"
	}
	return s
}

// WriteDot prints the tree as a Graphviz digraph: an edge from each input to the product
// made from it, labelled with the processor.
func WriteDot(w io.Writer, n *Node) {
	fmt.Fprintln(w, "digraph lineage {")
	fmt.Fprintln(w, "  rankdir=LR;")
	fmt.Fprintln(w, "  node [shape=box];")
	nodes, edges := map[string]bool{}, map[string]bool{}
	var visit func(n *Node)
	visit = func(n *Node) {
		id := n.Reference()
		if !nodes[id] {
			nodes[id] = true
			fmt.Fprintf(w, "  %s [label=%s];\n", quote(id), quote(n.Repository+"\n"+short(n)))
		}
		for _, c := range n.Inputs {
			visit(c)
			e := c.Reference() + "\x00" + id
			if edges[e] {
				continue
			}
			edges[e] = true
			attr := ""
			if n.Processor != nil {
				attr = " [label=" + quote(strings.TrimSpace(n.Processor.Name+" "+n.Processor.Version)) + "]"
			}
			fmt.Fprintf(w, "  %s -> %s%s;\n", quote(c.Reference()), quote(id), attr)
		}
	}
	visit(n)
	fmt.Fprintln(w, "}")
}

// short is the digest cut to 12 hex digits, as registries print it.
func short(n *Node) string {
	e := n.Digest.Encoded()
	if len(e) > 12 {
		e = e[:12]
	}
	return n.Digest.Algorithm().String() + ":" + e
}

// quote makes a DOT string literal.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
