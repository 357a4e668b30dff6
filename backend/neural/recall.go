package neural

import (
	"context"
	"errors"
	"sort"

	"github.com/hoardvault/hoard/backend/store"
)

// QueryEmbedder embeds a query (*infer.Embedder).
type QueryEmbedder interface {
	EmbedQuery(ctx context.Context, text string) ([]float32, error)
}

// VectorReader reads the stored vectors.
type VectorReader interface {
	EachVector(ctx context.Context, after int64, fn func(store.StoredVector)) error
}

// Recall measures a vector index (index: the ids of the k nearest chunks)
// against exact search over the float vectors of width dims that st holds:
// for each query, the share of the exact top k the index returns, averaged.
func Recall(ctx context.Context, st VectorReader, embedder QueryEmbedder, dims int,
	index func(ctx context.Context, qv []float32, k int) ([]int64, error), queries []string, k int) (float64, error) {
	var ids []int64
	var vecs []float32
	err := st.EachVector(ctx, -1, func(sv store.StoredVector) {
		if len(sv.F32) == 4*dims {
			ids, vecs = append(ids, sv.ID), append(vecs, store.Float32s(sv.F32)...)
		}
	})
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, errors.New("no float vectors stored")
	}
	var sum float64
	for _, q := range queries {
		qv, err := embedder.EmbedQuery(ctx, q)
		if err != nil {
			return 0, err
		}
		exact := make([]int, len(ids))
		score := make([]float32, len(ids))
		for i := range ids {
			exact[i] = i
			var dot float32
			for j, x := range vecs[i*dims : (i+1)*dims] {
				dot += x * qv[j]
			}
			score[i] = dot
		}
		sort.Slice(exact, func(a, b int) bool { return score[exact[a]] > score[exact[b]] })
		want := map[int64]bool{}
		for _, i := range exact[:min(k, len(exact))] {
			want[ids[i]] = true
		}
		got, err := index(ctx, qv, k)
		if err != nil {
			return 0, err
		}
		hit := 0
		for _, id := range got {
			if want[id] {
				hit++
			}
		}
		sum += float64(hit) / float64(len(want))
	}
	return sum / float64(len(queries)), nil
}
