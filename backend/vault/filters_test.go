package vault

import (
	"context"
	"path/filepath"
	"testing"

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
