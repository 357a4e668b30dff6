package cli

import (
	"fmt"
	"html"
	"strings"

	"github.com/hoardvault/hoard/backend/api/wire"
	"github.com/hoardvault/hoard/backend/search"
)

// printHits prints search hits, as JSON or for reading.
func (a *app) printHits(hits []search.Hit, asJSON bool) error {
	if asJSON {
		// The hits as GET /api/search and the MCP search tool give them.
		return a.printJSON(wire.FromHits(hits))
	}
	if len(hits) == 0 {
		fmt.Fprintln(a.stdout, "no matches")
		return nil
	}
	bold, plain := "**", "**"
	if isTerminal(a.stdout) {
		bold, plain = "\x1b[1m", "\x1b[0m"
	}
	for i, h := range hits {
		loc := h.Path
		if h.Page > 0 {
			loc += " " + search.Pages(h.Page, h.PageEnd)
		}
		if h.Time != nil {
			loc += " " + search.Clock(h.Time.StartMS)
		}
		if h.Heading != "" {
			loc += " › " + h.Heading
		}
		if h.Via != "" {
			loc += "  (" + h.Via + ")"
		}
		snip := strings.NewReplacer("<mark>", bold, "</mark>", plain).Replace(h.Snippet)
		fmt.Fprintf(a.stdout, "%d. %s  [doc %d, score %.2f]\n   %s\n   %s\n", i+1, h.Title, h.DocID, h.Score, loc,
			html.UnescapeString(strings.Join(strings.Fields(snip), " ")))
		if h.More > 0 {
			fmt.Fprintf(a.stdout, "   + %d more in this document (--no-group lists them)\n", h.More)
		}
	}
	return nil
}
