package store

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The naive baseline ranks by FTS5's bm25() over title and text together,
// in a file (with its journal folded in) or in memory.
func TestNaiveBM25(t *testing.T) {
	ctx := context.Background()
	records := [][3]string{
		{"a", "Storm", "the ferry crossed in a storm"},
		{"b", "Calm", "a calm day on the lake"},
		{"c", "Boats", `a storm, a "storm" and a ferry`},
	}
	for _, file := range []string{filepath.Join(t.TempDir(), "naive.db"), ""} {
		n, err := OpenNaiveBM25(ctx, file)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		for _, r := range records {
			if err := n.Add(ctx, r[0], r[1], r[2]); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if file != "" {
			if fi, err := os.Stat(file + "-wal"); err == nil && fi.Size() > 0 {
				t.Errorf("the journal holds %d bytes after Commit", fi.Size())
			}
		}
		for _, tc := range []struct {
			words []string
			want  []string
		}{
			{[]string{"storm"}, []string{"a", "c"}}, // twice each (title counts): the shorter first
			{[]string{"calm", "ferry"}, []string{"b", "a", "c"}},
			{[]string{`st"orm`}, nil}, // a quote is a character to match, not syntax
			{nil, nil},
		} {
			got, err := n.Search(ctx, tc.words, 10)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("file %q: %q: %v %v, want %v", file, tc.words, got, err, tc.want)
			}
		}
		if got, _ := n.Search(ctx, []string{"a"}, 2); len(got) != 2 {
			t.Errorf("k=2 gave %v", got)
		}
	}
}

// Exact KNN over the benchmark's own table finds each stored vector first,
// as floats and as int8 codes.
func TestExactVectors(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	indexSample(t, s, "one", "two", "three", "four")
	cfg := VectorConfig{Model: "m", Dims: 32, Forms: []string{FormInt8, FormBit}}
	if err := s.EnsureVectors(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	pend, err := s.PendingChunks(ctx, 0, 10)
	if err != nil || len(pend) != 4 {
		t.Fatalf("pending %v %v", pend, err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	ids := make([]int64, len(pend))
	vecs := make([][]float32, len(pend))
	for i, p := range pend {
		ids[i], vecs[i] = p.ID, unitVec(r, 32)
	}
	if err := s.PutVectors(ctx, cfg, ids, vecs); err != nil {
		t.Fatal(err)
	}
	x := s.ExactVectors()
	if err := x.Create(ctx, 32); err != nil {
		t.Fatal(err)
	}
	scale := DefaultInt8Scale(32)
	if err := x.Put(ctx, ids, vecs, scale); err != nil {
		t.Fatal(err)
	}
	for i, v := range vecs {
		f, err := x.Nearest(ctx, v, 2)
		if err != nil || len(f) != 2 || f[0] != ids[i] {
			t.Errorf("float knn of chunk %d: %v %v", ids[i], f, err)
		}
		q, err := x.NearestInt8(ctx, v, scale, 1)
		if err != nil || len(q) != 1 || q[0] != ids[i] {
			t.Errorf("int8 knn of chunk %d: %v %v", ids[i], q, err)
		}
	}
	for n := range ids {
		v, err := x.At(ctx, n)
		if err != nil || !slices.Equal(v, vecs[n]) {
			t.Errorf("vector %d in id order: %v (%v), want chunk %d's", n, v, err, ids[n])
		}
	}
	var seen []int64
	if err := x.Each(ctx, func(id int64, b []byte) error {
		if !slices.Equal(Float32s(b), vecs[len(seen)]) {
			t.Errorf("vector of chunk %d differs", id)
		}
		seen = append(seen, id)
		return nil
	}); err != nil || !slices.Equal(seen, ids) {
		t.Errorf("each: %v %v, want %v", seen, err, ids)
	}
}
