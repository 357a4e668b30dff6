package search

import (
	"context"
	"slices"
	"testing"

	"github.com/hoardvault/hoard/backend/store"
)

// TestSplitCacheKeepsUnchangedChunks: a chunk is split once while its
// title, heading and text stay as they were, and again as soon as any of
// them changes, under the same id.
func TestSplitCacheKeepsUnchangedChunks(t *testing.T) {
	var c splitCache
	voc := newVocab()
	first := [3]string{"Ferry", "Timetable > Winter", "The ferry leaves at noon."}
	sp := c.get(voc, 7, first)
	if again := c.get(voc, 7, first); again != sp {
		t.Fatal("the same chunk was split again")
	}
	if other := c.get(newVocab(), 7, first); other == sp {
		t.Fatal("a split numbered by another vocabulary was served")
	}
	sp = c.get(voc, 7, first)
	for _, tc := range []struct {
		name   string
		fields [3]string
		want   string // a word of the new split
	}{
		{"text changed", [3]string{first[0], first[1], "The ferry leaves at dawn."}, "dawn"},
		{"heading changed", [3]string{first[0], "Timetable > Summer", first[2]}, "summer"},
		{"title changed", [3]string{"Harbour", first[1], first[2]}, "harbour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.get(voc, 7, tc.fields)
			if got == sp {
				t.Fatal("a changed chunk was served its old split")
			}
			var all []string
			for _, id := range slices.Concat(got.wid[0], got.wid[1], got.wid[2]) {
				all = append(all, voc.word(id))
			}
			if !slices.Contains(all, tc.want) {
				t.Errorf("split %v, want %q among the words", all, tc.want)
			}
			c.get(voc, 7, first) // back as it was, for the next case
		})
	}
}

// TestRescoreFollowsChangedChunks: a searcher that has rescored a vault's
// passages ranks as a new one does after a document is indexed again
// (its chunk under the id the old one had) and for queries that do or do
// not name an identifier in a title.
func TestRescoreFollowsChangedChunks(t *testing.T) {
	ctx := context.Background()
	st := vaultDB(t, map[string]string{
		"pg_dump":        "pg_dump writes a backup of one database as a script.",
		"Harbour ferry":  "The harbour ferry crosses to the island every hour.",
		"Island walking": "Walks on the island start where the ferry lands.",
	})
	opt := DefaultOptions()
	kept := NewWithOptions(st.SearchView(), opt)
	rescored := func(s *Searcher, query string) []Candidate {
		t.Helper()
		q := Parse(Normalize(query))
		base, err := s.lexical.Retrieve(ctx, q, Filter{}, 30)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.rescoreLexical(ctx, newChunkRows(s.src), q, base)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	same := func(query string) {
		t.Helper()
		got, want := rescored(kept, query), rescored(NewWithOptions(st.SearchView(), opt), query)
		if len(got) != len(want) {
			t.Fatalf("%q: %d rescored, a new searcher %d", query, len(got), len(want))
		}
		for i := range want {
			if got[i].ChunkID != want[i].ChunkID || got[i].Score != want[i].Score {
				t.Fatalf("%q: rank %d is chunk %d (%v), a new searcher's chunk %d (%v)", query, i+1,
					got[i].ChunkID, got[i].Score, want[i].ChunkID, want[i].Score)
			}
		}
	}
	queries := []string{"island ferry", "pg_dump backup", "dump backup database"}
	for _, q := range queries {
		same(q)
		same(q) // from the cache
	}
	if len(kept.lexStats.split.byID) == 0 {
		t.Fatal("nothing kept between queries")
	}
	// The last document indexed again: its chunk is written again, under
	// the id the old one had when that was the last.
	last := slices.Max(keys(kept.lexStats.split.byID))
	var title string
	for _, q := range queries {
		hits, _ := kept.Search(ctx, Request{Query: q, Limit: 10})
		for _, h := range hits {
			if h.ChunkID == last {
				title = h.Title
			}
		}
	}
	if title == "" {
		t.Fatal("the last chunk was never a hit")
	}
	text := "Now the ferry no longer runs; the island is reached by the bridge, and pg_dump backup database island."
	if _, _, err := st.Index(ctx, "", store.Source{Path: "/" + title}, store.Content{
		Hash: title + " again", Title: title, Text: text, MediaType: "text/plain",
		Chunks: []store.Chunk{{Text: text, CharEnd: len(text)}},
	}); err != nil {
		t.Fatal(err)
	}
	hits, err := kept.Search(ctx, Request{Query: "bridge", Limit: 10})
	if err != nil || len(hits) != 1 || hits[0].ChunkID != last {
		t.Fatalf("the new text: %v, %v; want it in chunk %d", hits, err, last)
	}
	for _, q := range queries {
		same(q)
	}
}

func keys[K comparable, V any](m map[K]V) []K {
	var out []K
	for k := range m {
		out = append(out, k)
	}
	return out
}
