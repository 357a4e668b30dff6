package store

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func unitVec(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	var n float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		n += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(n))
	}
	return v
}

// Our quantizers agree with sqlite-vec's own, so vectors written from Go and
// queries quantized in SQL compare correctly.
func TestQuantizersMatchSQLiteVec(t *testing.T) {
	s := openTestStore(t)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		v := unitVec(r, 64)
		var bits []byte
		if err := s.db.QueryRow(`SELECT vec_quantize_binary(vec_f32(?))`, Float32Blob(v)).Scan(&bits); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bits, BitBlob(v)) {
			t.Fatalf("bit: sqlite-vec %x, ours %x", bits, BitBlob(v))
		}
	}
}

func TestVectorsLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	ids := indexSample(t, s, "one", "two", "three")
	cfg := VectorConfig{Model: "m", Dims: 64, Forms: []string{FormInt8, FormBit}}
	if _, pending, err := s.VectorCounts(ctx); err != nil || pending == 0 {
		t.Fatalf("before any vectors: pending %d, %v", pending, err)
	}
	if err := s.EnsureVectors(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureVectors(ctx, VectorConfig{Model: "other", Dims: 64, Forms: cfg.Forms}); !errors.Is(err, ErrVectorsDiffer) {
		t.Fatalf("another model: %v", err)
	}
	pend, err := s.PendingChunks(ctx, 0, 100)
	if err != nil || len(pend) == 0 {
		t.Fatalf("pending %v %v", pend, err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var cids []int64
	var vecs [][]float32
	for _, p := range pend {
		cids = append(cids, p.ID)
		vecs = append(vecs, unitVec(r, 64))
	}
	if err := s.PutVectors(ctx, cfg, cids, vecs); err != nil {
		t.Fatal(err)
	}
	done, pending, err := s.VectorCounts(ctx)
	if err != nil || done != len(cids) || pending != 0 {
		t.Fatalf("after put: done %d pending %d %v", done, pending, err)
	}
	// Deleting a document deletes its chunks' vectors (trigger).
	if err := s.DeleteDocument(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	var left int
	s.db.QueryRow(`SELECT count(*) FROM chunk_vectors`).Scan(&left)
	if done2, _, _ := s.VectorCounts(ctx); left != done2 || left >= done {
		t.Errorf("vectors after delete: %d rows, %d counted, %d before", left, done2, done)
	}
	if err := s.ResetVectors(ctx, VectorConfig{Model: "other", Dims: 64, Forms: []string{FormFloat}}); err != nil {
		t.Fatal(err)
	}
	if d, p, _ := s.VectorCounts(ctx); d != 0 || p == 0 {
		t.Errorf("after reset: done %d pending %d", d, p)
	}
	if err := s.EnsureVectors(ctx, VectorConfig{Model: "x", Dims: 64, Forms: []string{FormBit}}); err == nil {
		t.Error("bit alone accepted")
	}
}

func openTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir()+"/v.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// indexSample stores one single-chunk document per text.
func indexSample(t *testing.T, s *Store, texts ...string) []int64 {
	t.Helper()
	var ids []int64
	for _, text := range texts {
		id, _, err := s.Index(context.Background(), "", Source{Path: "/" + text}, Content{Hash: "h-" + text, Title: text, Text: text,
			Chunks: []Chunk{{Text: text, CharEnd: len(text)}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}
