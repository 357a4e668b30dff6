package search

import (
	"context"
	"slices"
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
