package store

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
)

// A switch of model keeps the old vectors until every chunk has a new one,
// then replaces them all at once; one cancelled leaves nothing behind.
func TestVectorSwitch(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	ids := indexSample(t, s, "one", "two", "three")
	r := rand.New(rand.NewPCG(3, 4))
	old := VectorConfig{Model: "old", Dims: 32, Forms: []string{FormInt8, FormBit}}
	if err := s.EnsureVectors(ctx, old); err != nil {
		t.Fatal(err)
	}
	vecs := func(dims int) [][]float32 {
		out := make([][]float32, len(ids))
		for i := range out {
			out[i] = unitVec(r, dims)
		}
		return out
	}
	if err := s.PutVectors(ctx, old, ids, vecs(32)); err != nil {
		t.Fatal(err)
	}
	next := VectorConfig{Model: "new", Dims: 48, Forms: []string{FormInt8, FormBit}}
	if err := s.BeginVectorSwitch(ctx, next); err != nil {
		t.Fatal(err)
	}
	nv := vecs(48)
	if err := s.PutNextVectors(ctx, ids[:2], nv[:2]); err != nil {
		t.Fatal(err)
	}
	if done, pending, err := s.NextCounts(ctx); err != nil || done != 2 || pending != len(ids)-2 {
		t.Fatalf("next counts %d/%d, %v", done, pending, err)
	}
	if _, err := s.FinishVectorSwitch(ctx); err == nil || !strings.Contains(err.Error(), "still lack") {
		t.Fatalf("finished with chunks missing: %v", err)
	}
	// Beginning again with the same model resumes; the old vectors are untouched.
	if err := s.BeginVectorSwitch(ctx, next); err != nil {
		t.Fatal(err)
	}
	if done, _, _ := s.NextCounts(ctx); done != 2 {
		t.Fatalf("a resumed switch lost its vectors: %d", done)
	}
	if cfg, _, _ := s.Vectors(ctx); cfg.Model != "old" {
		t.Fatalf("vectors switched early: %+v", cfg)
	}
	if err := s.PutNextVectors(ctx, ids[2:], nv[2:]); err != nil {
		t.Fatal(err)
	}
	cfg, err := s.FinishVectorSwitch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have, ok, err := s.Vectors(ctx)
	if err != nil || !ok || have.Model != "new" || have.Dims != 48 || cfg.Model != "new" {
		t.Fatalf("after the switch: %+v %v", have, err)
	}
	n := 0
	if err := s.EachVector(ctx, -1, func(v StoredVector) {
		n++
		if len(v.Bits) != 48/8 || len(v.Int8) != 48 {
			t.Errorf("chunk %d: %d bit bytes, %d int8 codes", v.ID, len(v.Bits), len(v.Int8))
		}
	}); err != nil || n != len(ids) {
		t.Fatalf("%d vectors after the switch, %v", n, err)
	}
	if _, ok, _ := s.NextVectors(ctx); ok {
		t.Error("the switch is still recorded after finishing")
	}
	// Cancelled: gone, the vectors as they were.
	if err := s.BeginVectorSwitch(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelVectorSwitch(ctx); err != nil {
		t.Fatal(err)
	}
	var tables int
	s.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'chunk_embeddings_next'`).Scan(&tables)
	if _, ok, _ := s.NextVectors(ctx); ok || tables != 0 {
		t.Errorf("cancelled switch left its setting or table (%d)", tables)
	}
	if have, _, _ := s.Vectors(ctx); have.Model != "new" {
		t.Errorf("cancel touched the vectors: %+v", have)
	}
}

// A status read that finds a switch under way may count after the switch
// ended and dropped its table: that reads as nothing pending, not an error.
func TestNextCountsAfterTheSwitchEnded(t *testing.T) {
	s := openTestStore(t)
	done, pending, err := s.NextCounts(context.Background())
	if err != nil || done != 0 || pending != 0 {
		t.Fatalf("no switch table: %d done, %d pending, %v; want 0, 0, nil", done, pending, err)
	}
}
