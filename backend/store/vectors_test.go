package store

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
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
	// The in-memory index's source: every vector's bits and int8 codes,
	// which give back the vector; a row written before per-vector scales
	// (NULL) reads with the vault's one scale.
	if _, err := s.db.Exec(`UPDATE chunk_embeddings SET int8 = ?, int8_scale = NULL WHERE chunk_id = ?`,
		Int8Blob(vecs[0], cfg.Int8Factor()), cids[0]); err != nil {
		t.Fatal(err)
	}
	seen := 0
	err = s.EachVector(ctx, -1, func(v StoredVector) {
		k := slices.Index(cids, v.ID)
		if k < 0 || !bytes.Equal(v.Bits, BitBlob(vecs[k])) || len(v.Int8) != 64 {
			t.Errorf("vector %d: %+v", v.ID, v)
			return
		}
		seen++
		for i, c := range v.Int8 {
			if d := math.Abs(float64(int8(c))*v.Int8Scale - float64(vecs[k][i])); d > v.Int8Scale/2+1e-6 {
				t.Errorf("vector %d[%d]: %d × %g is %g off", v.ID, i, int8(c), v.Int8Scale, d)
				return
			}
		}
	})
	if err != nil || seen != len(cids) {
		t.Fatalf("EachVector saw %d of %d: %v", seen, len(cids), err)
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

func TestQuantizeInt8(t *testing.T) {
	for _, tc := range []struct {
		name  string
		v     []float32
		scale float64
		codes []int8
	}{
		{"largest maps to 127", []float32{0.5, -0.25, 0}, 0.5 / 127, []int8{127, -64, 0}},
		{"negative largest", []float32{-0.1, 0.03}, 0.1 / 127, []int8{-127, 38}},
		{"zero vector", []float32{0, 0}, 0, []int8{0, 0}},
	} {
		codes, scale := QuantizeInt8(tc.v)
		got := make([]int8, len(codes))
		for i, c := range codes {
			got[i] = int8(c)
		}
		if math.Abs(scale-tc.scale) > 1e-6*tc.scale || !slices.Equal(got, tc.codes) {
			t.Errorf("%s: %v × %g, want %v × %g", tc.name, got, scale, tc.codes, tc.scale)
		}
	}
}
