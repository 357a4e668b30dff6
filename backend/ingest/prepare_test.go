package ingest

import (
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/chunk"
	"github.com/hoardvault/hoard/backend/derive"
	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/store"
)

// A document of one chunk has its entities found once, for the chunk and
// for its keyphrases: the gist and keyphrases are what they are found
// apart, whatever the document's shape.
func TestContentSharesOneEntityPass(t *testing.T) {
	long := strings.Repeat("The Calvin Cycle fixes carbon. Plants in the Amazon Basin use the Calvin Cycle. ", 300)
	cases := []struct {
		name, title, md string
	}{
		{"one chunk", "Photosynthesis", "Photosynthesis turns light into energy. The Calvin Cycle fixes carbon, and the Calvin Cycle needs light. Melvin Calvin found it; Melvin Calvin won a prize."},
		{"one chunk under a heading", "Notes", "# Calvin Cycle\n\nThe Calvin Cycle fixes carbon in the Calvin Cycle, as Melvin Calvin and Melvin Calvin showed."},
		{"many chunks", "Long", long},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var doc *extract.Document
			var err error
			if strings.HasPrefix(tc.md, "#") {
				doc, err = extract.NewRegistry(extract.DefaultLimits()).Extract(t.Context(), "notes.md", []byte(tc.md))
				if err == nil {
					doc.Title = tc.title
				}
			} else {
				doc, err = extract.FromText(tc.title, tc.md)
			}
			if err != nil {
				t.Fatal(err)
			}
			c := Content(doc, "h", store.Source{}, "", chunk.DefaultOptions())
			gist, keys := derive.GistOf(doc.Title, doc.Text)
			if c.Gist != gist || c.Keyphrases != keys {
				t.Errorf("gist %q, keyphrases %q; found apart: %q, %q", c.Gist, c.Keyphrases, gist, keys)
			}
			if !strings.Contains(c.Keyphrases, "calvin cycle") {
				t.Errorf("keyphrases %q lack the name the text repeats", c.Keyphrases)
			}
		})
	}
}
