package search

import (
	"context"
	"database/sql"
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
	where, args := "", []any{}
	if f.Collection != "" {
		where, args = ` AND collection_id = (SELECT id FROM collections WHERE name = ?)`, append(args, f.Collection)
	}
	blob := store.Float32Blob(qv)
	var ids []int64
	var dist []float64
	var err error
	var cands []Candidate
	switch {
	case knnForm == store.FormBit && d.Index != nil:
		var coll int64
		if f.Collection != "" {
			err := s.db.QueryRowContext(ctx, `SELECT id FROM collections WHERE name = ?`, f.Collection).Scan(&coll)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, nil // no such collection: nothing to find
			} else if err != nil {
				return nil, err
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
	case knnForm == store.FormInt8:
		ids, dist, err = s.knn(ctx, `emb_int8 MATCH vec_int8(?)`, store.Int8Blob(qv, d.Vectors.Int8Factor()), depth, where, args)
	default:
		ids, dist, err = s.knn(ctx, `emb_float MATCH vec_f32(?)`, blob, depth, where, args)
	}
	if err != nil {
		return nil, err
	}
	if cands == nil {
		cands = make([]Candidate, len(ids))
		for i, id := range ids {
			cands[i] = Candidate{ChunkID: id, Score: -dist[i]}
		}
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

func (s *Searcher) knn(ctx context.Context, match string, blob []byte, k int, where string, args []any) ([]int64, []float64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT rowid, distance FROM chunk_vectors WHERE `+match+` AND k = ?`+where+` ORDER BY distance`,
		append([]any{blob, k}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("vector search: %w", err)
	}
	defer rows.Close()
	var ids []int64
	var dist []float64
	for rows.Next() {
		var id int64
		var d float64
		if err := rows.Scan(&id, &d); err != nil {
			return nil, nil, err
		}
		ids, dist = append(ids, id), append(dist, d)
	}
	return ids, dist, rows.Err()
}

// keepMatching drops candidates outside the filter (the vector index only
// knows collections).
func (s *Searcher) keepMatching(ctx context.Context, cands []Candidate, f Filter) ([]Candidate, error) {
	if len(cands) == 0 {
		return cands, nil
	}
	where, args := filterSQL(f)
	ids, marks := idArgs(cands)
	rows, err := s.db.QueryContext(ctx, `SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id
		JOIN collections col ON col.id = d.collection_id WHERE c.id IN (`+marks+`) AND `+where, append(ids, args...)...)
	if err != nil {
		return nil, fmt.Errorf("filter vectors: %w", err)
	}
	defer rows.Close()
	ok := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ok[id] = true
	}
	out := cands[:0]
	for _, c := range cands {
		if ok[c.ChunkID] {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}
