package vault

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/search"
)

// Type and collection filters hold in every stage that adds hits: the
// keyword list, pseudo-relevance feedback, multi-hop (whose bridge pages
// came by document id, past the filter) and the vector list.
func TestFiltersHoldInEveryStage(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	// A two-hop question: the film's page names its director, whose own
	// page is a plain-text file in another collection.
	writeFile(t, filepath.Join(src, "films", "crimson.md"), "# The Crimson Tide\n\nThe Crimson Tide is a 1995 film directed by Quentin Zorblax.\n")
	writeFile(t, filepath.Join(src, "people", "Quentin Zorblax.txt"), "Quentin Zorblax was born in the harbour city of Valparaiso in 1951.\n")
	writeFile(t, filepath.Join(src, "people", "tides.txt"), "Tide tables list the crimson evening tide and the director of the harbour.\n")
	v := openVault(t, Options{Neural: NeuralOptions{Models: tinyModels(t), Reranker: "none"}})
	if _, err := v.Add(ctx, []string{filepath.Join(src, "films")}, AddOptions{Collection: "films"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Add(ctx, []string{filepath.Join(src, "people")}, AddOptions{Collection: "people"}); err != nil {
		t.Fatal(err)
	}
	const q = "Crimson Tide director"
	// Unfiltered, the hop reaches the director's page: the filters below
	// have something to keep out.
	if hits := mustSearch(t, v, q); !hasPath(hits, "Quentin Zorblax.txt") || !hasPath(hits, "crimson.md") {
		t.Fatalf("unfiltered hits %+v: want the film and, by a hop, its director", hits)
	}
	defaults := v.search().Options()
	for _, stages := range []string{"", "+prf", "-dense", "-keyword", "-multihop"} {
		v.Retune(ctx, func(o *search.Options) {
			next, err := defaults.WithStages(stages)
			if err != nil {
				t.Fatal(err)
			}
			*o = next
		})
		for _, f := range []struct {
			name   string
			filter search.Filter
			ok     func(search.Hit) bool
		}{
			{"type", search.Filter{MediaType: "markdown"}, func(h search.Hit) bool { return h.MediaType == "text/markdown" }},
			{"collection", search.Filter{Collection: "films"}, func(h search.Hit) bool { return h.Collection == "films" }},
		} {
			hits, err := v.Search(ctx, search.Request{Query: q, Limit: 10, Filter: f.filter})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 {
				t.Errorf("stages %q, %s filter: no hits", stages, f.name)
			}
			for _, h := range hits {
				if !f.ok(h) {
					t.Errorf("stages %q, %s filter let through %s (%s, %s) %s", stages, f.name, h.Path, h.MediaType, h.Collection, h.Via)
				}
			}
		}
	}
}

func hasPath(hits []search.Hit, name string) bool {
	for _, h := range hits {
		if filepath.Base(h.Path) == name {
			return true
		}
	}
	return false
}

// Grouped hits give each document once, at its best passage, and say how
// many more of its passages matched; raw hits repeat the document. The top
// hits do not change with the number asked for.
func TestGroupedHits(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	var long strings.Builder
	long.WriteString("# Tea handbook\n\n")
	for i := range 12 {
		fmt.Fprintf(&long, "## Chapter %d\n\nGreen tea chapter %d: steeping green tea leaves at eighty degrees for two minutes keeps the tea sweet. %s\n\n", i, i, strings.Repeat("Filler words about kettles and cups. ", 40))
	}
	writeFile(t, filepath.Join(src, "handbook.md"), long.String())
	writeFile(t, filepath.Join(src, "note.md"), "# Note\n\nI drink green tea in the morning.")
	writeFile(t, filepath.Join(src, "shop.md"), "# Shop\n\nThe shop sells green tea and black tea.")
	v := openVault(t, Options{})
	if _, err := v.Add(ctx, []string{src}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	raw, err := v.Search(ctx, search.Request{Query: "green tea", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	perDoc := map[int64]int{}
	for _, h := range raw {
		perDoc[h.DocID]++
	}
	if len(perDoc) >= len(raw) {
		t.Fatalf("raw hits %d from %d documents: want the handbook's passages repeated", len(raw), len(perDoc))
	}
	var first []int64
	for _, limit := range []int{2, 3, 10} {
		hits, err := v.Search(ctx, search.Request{Query: "green tea", Limit: limit, Group: true})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		more := 0
		for i, h := range hits {
			if seen[h.DocID] {
				t.Fatalf("limit %d: document %d twice", limit, h.DocID)
			}
			seen[h.DocID] = true
			more += h.More
			if first != nil && i < len(first) && first[i] != h.DocID {
				t.Fatalf("limit %d: hit %d is document %d, with limit 2 it was %d", limit, i+1, h.DocID, first[i])
			}
		}
		if first == nil {
			for _, h := range hits {
				first = append(first, h.DocID)
			}
		}
		if limit == 10 && (len(hits) != 3 || more < 5) {
			t.Fatalf("grouped: %d hits, %d more: want the three documents, the handbook's other chapters counted", len(hits), more)
		}
	}
}

// A PDF's own creation date (its info dictionary) is the date filters
// read, not the time the file was copied.
func TestDateFilterReadsThePDFsOwnDate(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join(testdata.Shared(t, "samples/docs/pdfminer"), "font-size-test.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "font-size-test.pdf") // written now
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	v := openVault(t, Options{})
	if _, err := v.Add(ctx, []string{p}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2020, 1, 7, 21, 40, 6, 0, time.UTC) // D:20200107214006Z
	for _, c := range []struct {
		filter search.Filter
		found  bool
	}{
		{search.Filter{Until: created.Add(time.Hour)}, true},
		{search.Filter{Since: created.Add(-time.Hour), Until: created.Add(time.Hour)}, true},
		{search.Filter{Since: created.Add(time.Hour)}, false},
	} {
		hits, err := v.Search(ctx, search.Request{Query: "font size", Limit: 5, Filter: c.filter})
		if err != nil {
			t.Fatal(err)
		}
		if (len(hits) > 0) != c.found {
			t.Errorf("filter %+v: %d hits, want found %v", c.filter, len(hits), c.found)
		}
	}
}
