package search

import (
	"context"
	"errors"
	"fmt"

	"github.com/hoardvault/hoard/backend/store"
)

// QueryEmbedder turns a query into a unit vector (the neural-inference
// package's embedder).
type QueryEmbedder interface {
	EmbedQuery(ctx context.Context, q string) ([]float32, error)
}

// Dense is the vector side of search: a query embedder and how the vault
// keeps its vectors.
type Dense struct {
	Embedder QueryEmbedder
	Vectors  store.VectorConfig
	// Index holds the sign bits and int8 codes in memory; it is what
	// searches vectors kept with sign bits.
	Index *VectorIndex
	// LatinOnly: the embedder reads Latin script only (models.Spec): a
	// passage, or a query, written mostly in another script is left to
	// the keywords (see readable).
	LatinOnly bool
}

// minLatin is the share of Latin letters below which a LatinOnly
// embedder's vector of a text is not trusted.
const minLatin = 0.5

// readable keeps the dense candidates whose text a LatinOnly embedder
// can read; all of them when it reads every script.
func (s *Searcher) readable(ctx context.Context, rows *chunkRows, cands []Candidate) ([]Candidate, error) {
	if !s.opt.Dense.LatinOnly || len(cands) == 0 {
		return cands, nil
	}
	if err := rows.load(ctx, cands); err != nil {
		return nil, err
	}
	out := cands[:0:0]
	for _, c := range cands {
		if c.info != nil && c.info.latinShare() < minLatin {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// denseList ranks chunks by similarity to the query: a shortlist from the
// bit vectors, rescored with int8 (or float) vectors; or KNN over the int8
// or float vectors when no bit form is kept.
func (s *Searcher) denseList(ctx context.Context, raw string, f Filter, depth int) ([]Candidate, error) {
	d := s.opt.Dense
	qv, err := d.Embedder.EmbedQuery(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	return s.vectorSearch(ctx, qv, f, depth)
}

// DenseList ranks chunks by a query vector alone (benchmarks).
func (s *Searcher) DenseList(ctx context.Context, qv []float32, k int) ([]int64, error) {
	cands, err := s.vectorSearch(ctx, qv, Filter{}, k)
	ids := make([]int64, len(cands))
	for i, c := range cands {
		ids[i] = c.ChunkID
	}
	return ids, err
}

func (s *Searcher) vectorSearch(ctx context.Context, qv []float32, f Filter, depth int) ([]Candidate, error) {
	d := s.opt.Dense
	if len(qv) != d.Vectors.Dims {
		return nil, fmt.Errorf("dense search: the query vector has %d dims, the vault %d (reindex the vectors)", len(qv), d.Vectors.Dims)
	}
	knnForm := d.Vectors.KNNForm()
	var err error
	var cands []Candidate
	switch {
	case knnForm == store.FormBit && d.Index != nil:
		var coll int64
		if f.Collection != "" {
			var ok bool
			if coll, ok, err = s.src.CollectionID(ctx, f.Collection); err != nil {
				return nil, err
			} else if !ok {
				return nil, nil // no such collection: nothing to find
			}
		}
		// A filter beyond the collection drops candidates afterwards: ask
		// for more so enough remain.
		want := depth
		if !f.empty() {
			want = 4 * depth
		}
		cands, err = d.Index.Nearest(ctx, qv, want, coll)
	case knnForm == store.FormBit:
		return nil, errors.New("dense search: vectors kept with sign bits need the in-memory vector index")
	default:
		var near []store.Neighbour
		near, err = s.src.NearestChunks(ctx, d.Vectors, qv, depth, f.Collection)
		cands = make([]Candidate, len(near))
		for i, n := range near {
			cands[i] = Candidate{ChunkID: n.ID, Score: -n.Distance}
		}
	}
	if err != nil {
		return nil, err
	}
	if !f.empty() {
		if cands, err = s.keepMatching(ctx, cands, f); err != nil {
			return nil, err
		}
	}
	if len(cands) > depth {
		cands = cands[:depth]
	}
	return cands, nil
}

func (f Filter) empty() bool {
	return f.MediaType == "" && f.Since.IsZero() && f.Until.IsZero() && len(f.docIDs) == 0
}

// keepMatching drops candidates outside the filter (the vector index only
// knows collections).
func (s *Searcher) keepMatching(ctx context.Context, cands []Candidate, f Filter) ([]Candidate, error) {
	if len(cands) == 0 {
		return cands, nil
	}
	ids := make([]int64, len(cands))
	for i, c := range cands {
		ids[i] = c.ChunkID
	}
	ok, err := s.src.ChunksMatching(ctx, ids, f.chunkFilter())
	if err != nil {
		return nil, fmt.Errorf("filter vectors: %w", err)
	}
	out := cands[:0]
	for _, c := range cands {
		if ok[c.ChunkID] {
			out = append(out, c)
		}
	}
	return out, nil
}
