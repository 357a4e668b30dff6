package search

import (
	"context"

	"github.com/hoardvault/hoard/backend/store"
)

// Reader is the vault as search reads it; store.SearchView is the one the
// app uses. Search writes no SQL: each method is one read in the store.
type Reader interface {
	lexicalReader
	chunkReader
	vectorReader
	entityReader
}

// lexicalReader is the full-text index.
type lexicalReader interface {
	MatchChunks(ctx context.Context, expr string, weights [3]float64, f store.ChunkFilter, k int) ([]store.Match, error)
	CountMatches(ctx context.Context, expr string) (int64, error)
	LexicalTotals(ctx context.Context) (store.LexicalTotals, error)
}

// chunkReader reads chunks by id or document.
type chunkReader interface {
	SearchChunks(ctx context.Context, ids []int64) ([]store.SearchChunk, error)
	FirstPaths(ctx context.Context, docs []int64) (map[int64]string, error)
	ChunksMatching(ctx context.Context, ids []int64, f store.ChunkFilter) (map[int64]bool, error)
	FirstChunks(ctx context.Context, docs []int64) (map[int64]int64, error)
	Neighbours(ctx context.Context, chunkID int64, n int) ([]string, error)
}

// vectorReader is the vector table, for vaults whose vectors are not held
// in memory (VectorIndex).
type vectorReader interface {
	CollectionID(ctx context.Context, name string) (int64, bool, error)
	NearestChunks(ctx context.Context, cfg store.VectorConfig, q []float32, k int, collection string) ([]store.Neighbour, error)
}

// entityReader is the entity index written at ingest.
type entityReader interface {
	EntitySignature(ctx context.Context) (string, error)
	DefinedEntities(ctx context.Context) ([]store.EntityDefiner, error)
	CoMentions(ctx context.Context, chunks []int64, maxMentioners int) ([]store.CoMention, error)
}

// chunkRows are the chunk rows one query has read: rescoring, fusion's
// adjustments, the hops and the hits all look at the same candidates, and
// each row is read from the store once.
type chunkRows struct {
	src  chunkReader
	byID map[int64]*chunkInfo // nil: asked for, and not in the store
}

func newChunkRows(src chunkReader) *chunkRows {
	return &chunkRows{src: src, byID: map[int64]*chunkInfo{}}
}

// load points each candidate at its row, reading the rows not read yet.
func (r *chunkRows) load(ctx context.Context, cands []Candidate) error {
	var missing []int64
	for _, c := range cands {
		if _, ok := r.byID[c.ChunkID]; !ok {
			r.byID[c.ChunkID] = nil
			missing = append(missing, c.ChunkID)
		}
	}
	if len(missing) > 0 {
		rows, err := r.src.SearchChunks(ctx, missing)
		if err != nil {
			for _, id := range missing {
				delete(r.byID, id) // not known to be gone: asked again next time
			}
			return err
		}
		for i := range rows {
			r.byID[rows[i].ID] = &chunkInfo{SearchChunk: rows[i]}
		}
	}
	for i := range cands {
		cands[i].info = r.byID[cands[i].ChunkID]
	}
	return nil
}
