package search

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/store"
)

// countingReader is the real store's read view, counting the chunk rows
// each query asks it for.
type countingReader struct {
	store.SearchView
	reads map[int64]int
}

func (c *countingReader) SearchChunks(ctx context.Context, ids []int64) ([]store.SearchChunk, error) {
	for _, id := range ids {
		c.reads[id]++
	}
	return c.SearchView.SearchChunks(ctx, ids)
}

// A query reads each chunk row once, however many stages look at it: the
// rescore stage, fusion's weights and decay, the hops and the hits all
// share the rows the query has read.
func TestQueryReadsEachChunkOnce(t *testing.T) {
	s := hopVault(t)
	ctx := context.Background()
	for _, stages := range []string{"", "+prf,+mmr", "none"} {
		opt, err := DefaultOptions().WithStages(stages)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		opt.Now = func() time.Time { return now } // the same decay for both runs
		r := &countingReader{SearchView: s.SearchView(), reads: map[int64]int{}}
		hits, err := NewWithOptions(r, opt).Search(ctx, Request{Query: "When did Lothar Second's mother die?", Limit: 5, Expand: 1})
		if err != nil {
			t.Fatal(err)
		}
		// The same query on the view itself: counting changes nothing.
		want, err := NewWithOptions(s.SearchView(), opt).Search(ctx, Request{Query: "When did Lothar Second's mother die?", Limit: 5, Expand: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) < 2 || !slices.EqualFunc(hits, want, func(a, b Hit) bool { return a.ChunkID == b.ChunkID && a.Score == b.Score }) {
			t.Fatalf("stages %q: hits %v, want %v", stages, titles(hits), titles(want))
		}
		for id, n := range r.reads {
			if n != 1 {
				t.Errorf("stages %q: chunk %d read %d times", stages, id, n)
			}
		}
		for _, h := range hits {
			if r.reads[h.ChunkID] == 0 {
				t.Errorf("stages %q: hit %d never read", stages, h.ChunkID)
			}
		}
	}
}

// TestRowsKeptUntilTheVaultChanges: a searcher keeps the candidate rows it
// has read, so the same query again reads none; any change to what a row
// holds (its document indexed again, its collection renamed or
// re-weighted) makes the next query read the rows again and show the
// change.
func TestRowsKeptUntilTheVaultChanges(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	index := func(title, text string) error {
		_, _, err := st.Index(ctx, "Boats", store.Source{Path: "/" + title}, store.Content{
			Hash: text, Title: title, Text: text, MediaType: "text/plain",
			Chunks: []store.Chunk{{Text: text, CharEnd: len(text)}},
		})
		return err
	}
	for title, text := range map[string]string{
		"Harbour ferry":  "The harbour ferry crosses to the island every hour.",
		"Island walking": "Walks on the island start where the ferry lands.",
	} {
		if err := index(title, text); err != nil {
			t.Fatal(err)
		}
	}
	r := &countingReader{SearchView: st.SearchView(), reads: map[int64]int{}}
	s := New(r)
	search := func() []Hit {
		t.Helper()
		hits, err := s.Search(ctx, Request{Query: "island ferry", Limit: 10})
		if err != nil || len(hits) != 2 {
			t.Fatalf("hits %v, %v", hits, err)
		}
		return hits
	}
	reads := func() int {
		n := 0
		for _, c := range r.reads {
			n += c
		}
		return n
	}
	search()
	if reads() == 0 {
		t.Fatal("the first query read no rows")
	}
	before := reads()
	search()
	if got := reads(); got != before {
		t.Fatalf("the same query again read %d rows", got-before)
	}
	for _, tc := range []struct {
		name   string
		change func() error
		shows  func([]Hit) bool
	}{
		{"document indexed again", func() error {
			return index("Harbour ferry", "The harbour ferry crosses to the island twice a day since the timetable changed.")
		}, func(hits []Hit) bool {
			return slices.ContainsFunc(hits, func(h Hit) bool { return strings.Contains(h.Text, "timetable") })
		}},
		{"collection renamed", func() error {
			_, err := st.UpdateCollection(ctx, "Boats", "Travel", 0)
			return err
		}, func(hits []Hit) bool { return hits[0].Collection == "Travel" }},
		{"collection re-weighted", func() error {
			_, err := st.UpdateCollection(ctx, "Travel", "", 3)
			return err
		}, func(hits []Hit) bool { return hits[0].Score > 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := search()
			if err := tc.change(); err != nil {
				t.Fatal(err)
			}
			before := reads()
			hits := search()
			if reads() == before {
				t.Fatal("no row read again after the change")
			}
			if !tc.shows(hits) {
				t.Errorf("the hits do not show the change: %+v", hits)
			}
			if tc.name == "collection re-weighted" && !(hits[0].Score > 2*old[0].Score) {
				t.Errorf("score %v after weight 3, was %v", hits[0].Score, old[0].Score)
			}
		})
	}
}

// TestKeptRowsSharedByConcurrentQueries: queries running at once share the
// kept rows (and what is computed from them once, such as the SimHash
// dedupe compares) and get the hits a query alone gets.
func TestKeptRowsSharedByConcurrentQueries(t *testing.T) {
	ctx := context.Background()
	s := New(hopVault(t).SearchView())
	queries := []string{"When did Lothar Second's mother die?", "Lothar mother", "Ermengarde died"}
	want := map[string][]Hit{}
	for _, q := range queries {
		hits, err := New(s.src).Search(ctx, Request{Query: q, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		want[q] = hits
	}
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 20 {
				q := queries[(g+i)%len(queries)]
				hits, err := s.Search(ctx, Request{Query: q, Limit: 5})
				if err == nil && len(hits) != len(want[q]) {
					err = fmt.Errorf("%q: %d hits, alone %d", q, len(hits), len(want[q]))
				}
				for k := 0; err == nil && k < len(hits); k++ {
					if hits[k].ChunkID != want[q][k].ChunkID {
						err = fmt.Errorf("%q: rank %d is chunk %d, alone %d", q, k+1, hits[k].ChunkID, want[q][k].ChunkID)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestRowCacheKeepsTheNewestStamp: rows a slow query read under an older
// stamp neither join nor replace rows of a newer one; a newer stamp
// starts the cache afresh.
func TestRowCacheKeepsTheNewestStamp(t *testing.T) {
	row := func(id int64) *chunkInfo { return &chunkInfo{SearchChunk: store.SearchChunk{ID: id}} }
	var c rowCache
	c.keep("5", []*chunkInfo{row(1)})
	c.keep("4", []*chunkInfo{row(2)})
	for _, tc := range []struct {
		stamp   string
		ids     []int64
		missing []int64
	}{
		{"5", []int64{1, 2}, []int64{2}}, // the older stamp's row 2 was not kept
		{"4", []int64{1}, []int64{1}},    // nor is the cache served under it
	} {
		if got := c.take(tc.stamp, tc.ids, map[int64]*chunkInfo{}); !slices.Equal(got, tc.missing) {
			t.Errorf("stamp %s, ids %v: missing %v, want %v", tc.stamp, tc.ids, got, tc.missing)
		}
	}
	c.keep("6", []*chunkInfo{row(3)})
	if got := c.take("6", []int64{1, 3}, map[int64]*chunkInfo{}); !slices.Equal(got, []int64{1}) {
		t.Errorf("after a newer stamp: missing %v, want [1]", got)
	}
}
