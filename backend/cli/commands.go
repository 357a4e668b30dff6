package cli

import (
	"fmt"
	"html"
	"strings"

	"github.com/hoardvault/hoard/backend/search"
)

// jsonHit is the documented shape of `hoard search --json`.
type jsonHit struct {
	DocID   int64   `json:"doc_id"`
	ChunkID int64   `json:"chunk_id"`
	Title   string  `json:"title"`
	Path    string  `json:"path"`
	Page    int     `json:"page"`
	PageEnd int     `json:"page_end"` // the last page the passage runs onto
	Heading string  `json:"heading"`
	Snippet string  `json:"snippet"`
	Text    string  `json:"text"`
	Score   float64 `json:"score"`
	Via     string  `json:"via,omitempty"`  // the bridge a multi-hop hit was found through
	More    int     `json:"more,omitempty"` // more passages of this document matched (grouped hits)
	// Time is where a transcript hit is cited (milliseconds): start_ms is
	// the moment its matched words are spoken, end_ms its passage's end.
	Time *search.TimeSpan `json:"time,omitempty"`
	// Passage is the transcript passage's whole span.
	Passage *search.TimeSpan `json:"passage,omitempty"`
}

// printHits prints search hits, as JSON or for reading.
func (a *app) printHits(hits []search.Hit, asJSON bool) error {
	if asJSON {
		out := make([]jsonHit, 0, len(hits))
		for _, h := range hits {
			out = append(out, jsonHit{DocID: h.DocID, ChunkID: h.ChunkID, Title: h.Title, Path: h.Path, Page: h.Page, PageEnd: h.PageEnd,
				Heading: h.Heading, Snippet: h.Snippet, Text: h.Text, Score: h.Score, Via: h.Via, More: h.More, Time: h.Time, Passage: h.Passage})
		}
		return a.printJSON(out)
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
