package search

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hoardvault/hoard/backend/store"
)

type testVec struct {
	id, coll int64
	v        []float32
	float    bool // stored as float32 only (no int8 form)
}

func storedVec(t testVec) store.StoredVector {
	sv := store.StoredVector{ID: t.id, Collection: t.coll, Bits: store.BitBlob(t.v)}
	if t.float {
		sv.F32 = store.Float32Blob(t.v)
	} else {
		sv.Int8, sv.Int8Scale = store.QuantizeInt8(t.v)
	}
	return sv
}

// sliceSource serves test vectors as one write batch; the store's own
// source is exercised by TestVectorIndexFollowsTheStore.
type sliceSource struct {
	vecs  *[]testVec
	loads *int
}

func (s sliceSource) EachVector(_ context.Context, after int64, fn func(store.StoredVector)) error {
	if after >= 0 {
		return nil
	}
	*s.loads++
	for _, v := range *s.vecs {
		fn(storedVec(v))
	}
	return nil
}

func (s sliceSource) VectorRows(context.Context) (int, error) { return len(*s.vecs), nil }

func indexOf(vecs *[]testVec, loads *int) *VectorIndex {
	return NewVectorIndex(sliceSource{vecs, loads})
}

func unit(v ...float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x * x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x / float32(math.Sqrt(n))
	}
	return out
}

func TestVectorIndexNearest(t *testing.T) {
	q := unit(1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1)
	vecs := []testVec{
		{id: 1, coll: 1, v: q}, // the query itself
		{id: 2, coll: 1, v: unit(1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, -1)},             // three of four
		{id: 3, coll: 2, v: unit(1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0), float: true}, // float only
		{id: 4, coll: 2, v: unit(-1, -1, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, -1)},          // opposite
		{id: 5, coll: 1, v: unit(0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)},              // orthogonal
	}
	loads := 0
	x := indexOf(&vecs, &loads)
	ctx := context.Background()
	for _, tc := range []struct {
		n    int
		coll int64
		want []int64
	}{
		{1, 0, []int64{1}},
		{3, 0, []int64{1, 3, 2}},
		{10, 0, []int64{1, 3, 2, 5, 4}},
		{10, 1, []int64{1, 2, 5}},
		{10, 2, []int64{3, 4}},
		{10, 9, nil},
	} {
		got, err := x.Nearest(ctx, q, tc.n, tc.coll)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for i, c := range got {
			ids = append(ids, c.ChunkID)
			if i > 0 && c.Score > got[i-1].Score {
				t.Errorf("n=%d coll=%d: not best first: %v", tc.n, tc.coll, got)
			}
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("n=%d coll=%d: %v, want %v", tc.n, tc.coll, ids, tc.want)
		}
	}
	// Scores are dot products, to int8 precision.
	got, _ := x.Nearest(ctx, q, 5, 0)
	if math.Abs(got[0].Score-1) > 0.01 || math.Abs(got[4].Score+1) > 0.01 {
		t.Errorf("scores %v: want about 1 for the query itself and -1 for its opposite", got)
	}
	if loads != 1 || x.Len() != 5 || x.Bytes() == 0 {
		t.Errorf("loaded %d times, %d vectors, %d bytes", loads, x.Len(), x.Bytes())
	}
	if _, err := x.Nearest(ctx, q[:8], 1, 0); err == nil {
		t.Error("a query of another width was accepted")
	}
	// A vector of another width is left out rather than misread.
	vecs = append(vecs[:2], testVec{id: 6, coll: 1, v: unit(1, 1, 1, 1, 1, 1, 1, 1)})
	x.Invalidate()
	if got, _ := x.Nearest(ctx, q, 10, 0); len(got) != 2 || loads != 2 {
		t.Errorf("after invalidate: %v (%d loads)", got, loads)
	}
	bad := NewVectorIndex(failingSource{})
	if _, err := bad.Nearest(ctx, q, 1, 0); err == nil {
		t.Error("a failed load was not reported")
	}
}

type failingSource struct{}

func (failingSource) EachVector(context.Context, int64, func(store.StoredVector)) error {
	return errors.New("disk gone")
}
func (failingSource) VectorRows(context.Context) (int, error) { return 0, errors.New("disk gone") }

// countingSource is the real store, with its full reads counted.
type countingSource struct {
	*store.Store
	full *int
}

func (c countingSource) EachVector(ctx context.Context, after int64, fn func(store.StoredVector)) error {
	if after < 0 {
		*c.full++
	}
	return c.Store.EachVector(ctx, after, fn)
}

// After an ingest the index reads only the new rows; after a deletion, or
// a chunk id used again, it reads everything, and never serves a vector
// that is gone.
func TestVectorIndexFollowsTheStore(t *testing.T) {
	ctx := context.Background()
	st := vaultDB(t, map[string]string{"a": "alpha", "b": "beta"})
	cfg := store.VectorConfig{Model: "m", Dims: 16, Forms: []string{store.FormInt8, store.FormBit}}
	if err := st.EnsureVectors(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	vec := map[int64][]float32{}
	embed := func() {
		t.Helper()
		pend, err := st.PendingChunks(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		var vecs [][]float32
		for _, p := range pend {
			v := make([]float32, 16)
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
			vec[p.ID] = unit(v...)
			ids, vecs = append(ids, p.ID), append(vecs, vec[p.ID])
		}
		if err := st.PutVectors(ctx, cfg, ids, vecs); err != nil {
			t.Fatal(err)
		}
	}
	addDoc := func(title string) int64 {
		t.Helper()
		id, _, err := st.Index(ctx, "", store.Source{Path: "/" + title}, store.Content{Hash: title, Title: title, Text: title,
			MediaType: "text/plain", Chunks: []store.Chunk{{Text: title, CharEnd: len(title)}}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	full := 0
	x := NewVectorIndex(countingSource{st, &full})
	// The index must find exactly the chunks that exist, each by its own vector.
	check := func(step string) {
		t.Helper()
		var want []int64
		rows, err := st.DB().Query(`SELECT id FROM chunks ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			want = append(want, id)
		}
		rows.Close()
		for _, id := range want {
			got, err := x.Nearest(ctx, vec[id], 1, 0)
			if err != nil || len(got) != 1 || got[0].ChunkID != id {
				t.Fatalf("%s: nearest to chunk %d's vector: %v %v", step, id, got, err)
			}
		}
		if x.Len() != len(want) {
			t.Fatalf("%s: index holds %d vectors, the vault %d", step, x.Len(), len(want))
		}
	}
	embed()
	check("first load")
	addDoc("gamma")
	embed()
	x.Refresh()
	check("after adding")
	if full != 1 {
		t.Errorf("adding read everything again (%d full reads)", full)
	}
	// Delete the newest document and add one: its chunk id comes back with
	// another vector.
	var last int64
	st.DB().QueryRow(`SELECT max(id) FROM chunks`).Scan(&last)
	var doc int64
	st.DB().QueryRow(`SELECT document_id FROM chunks WHERE id = ?`, last).Scan(&doc)
	if err := st.DeleteDocument(ctx, doc); err != nil {
		t.Fatal(err)
	}
	addDoc("delta")
	embed()
	var reused int64
	st.DB().QueryRow(`SELECT max(id) FROM chunks`).Scan(&reused)
	if reused != last {
		t.Logf("chunk id %d not reused (%d)", last, reused)
	}
	x.Refresh()
	check("after a deletion and a reused id")
	if full != 2 {
		t.Errorf("a deletion did not read everything again (%d full reads)", full)
	}
}

// Uniformly random vectors are the hardest case for a sign-bit shortlist
// (every vector is nearly as far from the query as any other); the index
// still finds 0.95 of the exact float top 10, with and without the Hamming
// prefilter.
func TestVectorIndexRecallUniform(t *testing.T) {
	const n, dims, queries = 20000, 384, 20
	r := rand.New(rand.NewPCG(5, 6))
	random := func() []float32 {
		v := make([]float32, dims)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return unit(v...)
	}
	vecs := make([]testVec, n)
	for i := range vecs {
		vecs[i] = testVec{id: int64(i + 1), coll: int64(1 + i%2), v: random()}
		if i%100 == 0 {
			vecs[i].coll = 3 // a small collection: 200 vectors
		}
	}
	qs := make([][]float32, queries)
	for i := range qs {
		qs[i] = random()
	}
	exact := func(q []float32, coll int64) map[int64]bool {
		type scored struct {
			id int64
			s  float32
		}
		var all []scored
		for _, v := range vecs {
			if coll != 0 && v.coll != coll {
				continue
			}
			var s float32
			for j := range q {
				s += q[j] * v.v[j]
			}
			all = append(all, scored{v.id, s})
		}
		slices.SortFunc(all, func(a, b scored) int { return -cmpFloat(a.s, b.s) })
		top := map[int64]bool{}
		for _, a := range all[:10] {
			top[a.id] = true
		}
		return top
	}
	for _, tc := range []struct {
		name      string
		prefilter int
		coll      int64
	}{
		{"all vectors scored", 0, 0},
		{"hamming prefilter", 5000, 0},
		{"one collection, prefilter", 5000, 2},
		// 200 of 20,000 vectors: about 20 in a 2,000 sample, too few to
		// take a cut from.
		{"small collection, prefilter", 5000, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loads := 0
			x := indexOf(&vecs, &loads)
			x.PrefilterAbove, x.sample = tc.prefilter, 2000
			hits := 0
			for _, q := range qs {
				want := exact(q, tc.coll)
				got, err := x.Nearest(context.Background(), q, 10, tc.coll)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range got {
					if want[c.ChunkID] {
						hits++
					}
				}
			}
			recall := float64(hits) / (10 * queries)
			t.Logf("recall@10 %.3f", recall)
			if recall < 0.95 {
				t.Errorf("recall@10 %.3f, want ≥ 0.95", recall)
			}
		})
	}
}

func cmpFloat(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestTopIndices(t *testing.T) {
	inf := float32(math.Inf(-1))
	for _, tc := range []struct {
		scores []float32
		keep   int
		want   []int32
	}{
		{[]float32{0.1, 0.9, 0.5, 0.7}, 2, []int32{1, 3}},
		{[]float32{0.1, 0.9, 0.5, 0.7}, 10, []int32{0, 1, 2, 3}},
		{[]float32{0.3, 0.3, 0.3}, 1, []int32{0, 1, 2}}, // ties are kept together
		{[]float32{inf, 0.2, inf}, 2, []int32{1}},       // excluded rows never come back
		{[]float32{inf}, 1, nil},
		{nil, 3, nil},
	} {
		got := topIndices(tc.scores, tc.keep)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("topIndices(%v, %d) = %v, want %v", tc.scores, tc.keep, got, tc.want)
		}
	}
}
