package search

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/store"
)

type testVec struct {
	id, coll int64
	added    int64 // the write batch
	v        []float32
	float    bool // stored as float32 only (no int8 form)
}

func storedVec(t testVec) store.StoredVector {
	sv := store.StoredVector{ID: t.id, Collection: t.coll, Added: t.added, Bits: store.BitBlob(t.v)}
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
	if after < 0 {
		*s.loads++
	}
	for _, v := range *s.vecs {
		if v.added > after {
			fn(storedVec(v))
		}
	}
	return nil
}

func (s sliceSource) VectorRows(context.Context) (int, error) { return len(*s.vecs), nil }

// NearestVectors ranks by exact float dot product, as the store ranks by
// cosine (the test vectors are unit length).
func (s sliceSource) NearestVectors(_ context.Context, q []float32, n int, coll, after int64, fn func(store.StoredVector)) error {
	var in []testVec
	for _, v := range *s.vecs {
		if v.id > after && (coll == 0 || v.coll == coll) && len(v.v) == len(q) {
			in = append(in, v)
		}
	}
	dot := func(v []float32) float32 {
		var d float32
		for i := range q {
			d += q[i] * v[i]
		}
		return d
	}
	slices.SortFunc(in, func(a, b testVec) int { return cmpFloat(dot(b.v), dot(a.v)) })
	for _, v := range in[:min(n, len(in))] {
		fn(storedVec(v))
	}
	return nil
}

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
	if err := x.Load(ctx); err != nil {
		t.Fatal(err)
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
	got, _ = x.Nearest(ctx, q, 10, 0)
	if err := x.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || loads != 2 {
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
func (failingSource) NearestVectors(context.Context, []float32, int, int64, int64, func(store.StoredVector)) error {
	return errors.New("disk gone")
}

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

// chunkDocs maps every chunk of the vault to its document.
func chunkDocs(t *testing.T, st *store.Store) map[int64]int64 {
	t.Helper()
	ctx := context.Background()
	docs, _, err := st.ListDocuments(ctx, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, d := range docs {
		chunks, err := st.Chunks(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks {
			out[c.ID] = d.ID
		}
	}
	return out
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
	embed := func() { embedPending(t, st, cfg, r, vec) }
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
		want := slices.Sorted(maps.Keys(chunkDocs(t, st)))
		for _, id := range want {
			got, err := x.Nearest(ctx, vec[id], 1, 0)
			if err != nil || len(got) != 1 || got[0].ChunkID != id {
				t.Fatalf("%s: nearest to chunk %d's vector: %v %v", step, id, got, err)
			}
		}
		if err := x.Load(ctx); err != nil {
			t.Fatal(err)
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
	docOf := chunkDocs(t, st)
	last := slices.Max(slices.Collect(maps.Keys(docOf)))
	if err := st.DeleteDocument(ctx, docOf[last]); err != nil {
		t.Fatal(err)
	}
	addDoc("delta")
	embed()
	reused := slices.Max(slices.Collect(maps.Keys(chunkDocs(t, st))))
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
// still finds 0.98 of the exact float top 10, with and without the
// prefilter, in a collection too.
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
			recall := recallAt10(t, x, vecs, qs, tc.coll)
			t.Logf("recall@10 %.3f", recall)
			if recall < 0.98 {
				t.Errorf("recall@10 %.3f, want ≥ 0.98", recall)
			}
		})
	}
}

// The prefilter passes on a small share of a large vault to be weighed;
// the rows it drops must not be the query's nearest. Over uniformly random
// vectors (the hardest case) the exact top 10 are still found with every
// passed row rescored, when it passes on a fifth or a quarter of 20,000
// (a larger vault needs a smaller share: a million, 5%). By the plain
// Hamming distance, 0.970 and 0.977.
func TestVectorPrefilterKeepsTheNearest(t *testing.T) {
	const n, dims, queries = 20000, 384, 30
	r := rand.New(rand.NewPCG(3, 4))
	vecs := make([]testVec, n)
	for i := range vecs {
		vecs[i] = testVec{id: int64(i + 1), coll: 1, v: randomUnitVec(r, dims)}
	}
	qs := make([][]float32, queries)
	for i := range qs {
		qs[i] = randomUnitVec(r, dims)
	}
	loads := 0
	x := indexOf(&vecs, &loads)
	if err := x.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, share := range []float64{0.20, 0.25} {
		t.Run(fmt.Sprint(share), func(t *testing.T) {
			hits := 0
			for _, q := range qs {
				want := exactTop10(vecs, q, 0)
				for _, b := range x.v.nearestFlat(q, 10, 0, n, share, 20000) {
					if want[x.v.ids[b.row]] {
						hits++
					}
				}
			}
			recall := float64(hits) / float64(10*queries)
			t.Logf("recall@10 %.3f passing %.0f%%", recall, 100*share)
			if recall < 0.98 {
				t.Errorf("recall@10 %.3f when the prefilter passes %.0f%% on, want ≥ 0.98", recall, 100*share)
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

// The unrolled scan of 384-dim sign bits keeps and weighs the same rows as
// the row-by-row definitions (heavyDist to filter, dist to weigh), with
// and without a cut and a collection.
func TestScan6MatchesScan(t *testing.T) {
	const n, dims = 3000, 384
	r := rand.New(rand.NewPCG(7, 8))
	var v vecs
	for i := range n {
		v.append(storedVec(testVec{id: int64(i + 1), coll: int64(1 + i%3), v: randomUnitVec(r, dims)}))
	}
	sq := newSignQuery(randomUnitVec(r, dims), v.words)
	fifth := v.hammingCut(sq, 0.2, 0, n)
	for _, tc := range []struct {
		cut  int
		coll int64
	}{{-1, 0}, {fifth, 0}, {fifth, 2}, {0, 0}} {
		t.Run(fmt.Sprintf("cut %d, collection %d", tc.cut, tc.coll), func(t *testing.T) {
			got := sq.scan(&v, 100, n, tc.coll, tc.cut)
			var rows []int32
			var dist []uint16
			for i := 100; i < n; i++ {
				if (tc.coll == 0 || v.colls[i] == tc.coll) && (tc.cut < 0 || sq.heavyDist(v.row(i)) <= tc.cut) {
					rows, dist = append(rows, int32(i)), append(dist, uint16(sq.dist(v.row(i))))
				}
			}
			if !slices.Equal(got.rows, rows) || !slices.Equal(got.dist, dist) {
				t.Errorf("scanned %d rows, want %d (or other distances)", len(got.rows), len(rows))
			}
			if tc.cut == fifth && (len(rows) == 0 || len(rows) == n-100) {
				t.Errorf("cut %d passes %d of %d rows: no test of the cut", fifth, len(rows), n-100)
			}
		})
	}
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

// embedPending gives each chunk without a vector a random unit one, kept
// in vec, and returns their ids.
func embedPending(t *testing.T, st *store.Store, cfg store.VectorConfig, r *rand.Rand, vec map[int64][]float32) []int64 {
	t.Helper()
	ctx := context.Background()
	pend, err := st.PendingChunks(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var vecs [][]float32
	for _, p := range pend {
		v := make([]float32, cfg.Dims)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		vec[p.ID] = unit(v...)
		ids, vecs = append(ids, p.ID), append(vecs, vec[p.ID])
	}
	if err := st.PutVectors(ctx, cfg, ids, vecs); err != nil {
		t.Fatal(err)
	}
	return ids
}

// gatedSource is the real store whose full read stops after `after` rows
// until open is closed, so a test can search while the index is loading.
type gatedSource struct {
	*store.Store
	after   int
	reached chan struct{} // closed when the read stops
	open    chan struct{}
}

func (g gatedSource) EachVector(ctx context.Context, after int64, fn func(store.StoredVector)) error {
	n := 0
	return g.Store.EachVector(ctx, after, func(v store.StoredVector) {
		if n++; after < 0 && n == g.after+1 {
			close(g.reached)
			<-g.open
		}
		fn(v)
	})
}

// A search does not wait for the index to read the vault: the rows it
// holds are searched in memory and the rest in the store, and the answer
// is the one the loaded index gives.
func TestVectorIndexAnswersWhileLoading(t *testing.T) {
	ctx := context.Background()
	docs := map[string]string{}
	for i := range 40 {
		docs[fmt.Sprintf("doc%02d", i)] = fmt.Sprintf("text %d", i)
	}
	st := vaultDB(t, docs)
	cfg := store.VectorConfig{Model: "m", Dims: 16, Forms: []string{store.FormInt8, store.FormBit}}
	if err := st.EnsureVectors(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	vec := map[int64][]float32{}
	ids := embedPending(t, st, cfg, rand.New(rand.NewPCG(3, 4)), vec)
	for _, tc := range []struct {
		name string
		held int // rows read before the read stops
	}{
		{"nothing held yet", 0},
		{"half held", 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reached, open := make(chan struct{}), make(chan struct{})
			x := NewVectorIndex(gatedSource{st, tc.held, reached, open})
			x.batch = 4
			if _, err := x.Nearest(ctx, vec[ids[0]], 1, 0); err != nil { // starts the read
				t.Fatal(err)
			}
			<-reached
			answers := func() [][]Candidate {
				var out [][]Candidate
				for _, id := range ids {
					got, err := x.Nearest(ctx, vec[id], 5, 0)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != 5 || got[0].ChunkID != id {
						t.Fatalf("nearest to chunk %d's vector: %v", id, got)
					}
					out = append(out, got)
				}
				return out
			}
			during := answers()
			if held, _ := x.Ready(); held || x.Len() != tc.held {
				t.Errorf("while loading: held all %v, %d rows in memory, want %d", held, x.Len(), tc.held)
			}
			close(open)
			if err := x.Load(ctx); err != nil {
				t.Fatal(err)
			}
			after := answers()
			for i := range during {
				for k := range during[i] {
					if during[i][k].ChunkID != after[i][k].ChunkID || math.Abs(during[i][k].Score-after[i][k].Score) > 1e-6 {
						t.Fatalf("query %d: while loading %v, loaded %v", i, during[i], after[i])
					}
				}
			}
			if held, _ := x.Ready(); !held || x.Len() != len(ids) {
				t.Errorf("after loading: held all %v, %d of %d rows", held, x.Len(), len(ids))
			}
		})
	}
}

// A large vault gets a coarse partition when it pays: clustered vectors
// (as real embeddings are) keep recall@10 ≥ 0.98 of exact search while a
// query scans a fraction of them; uniformly random ones, where every list
// is about as near as any other, keep the flat scan. Vectors added later
// are filed in the partition, and a vault that doubles is trained again.
func TestVectorIndexPartition(t *testing.T) {
	const n, dims, queries = 30000, 128, 20
	for _, tc := range []struct {
		name      string
		clustered bool
	}{
		{"clustered", true},
		{"uniform", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, 10))
			random := func() []float32 {
				v := make([]float32, dims)
				for i := range v {
					v[i] = float32(r.NormFloat64())
				}
				return unit(v...)
			}
			near := func(base []float32, spread float32) []float32 {
				g := random()
				for i := range g {
					g[i] = base[i] + spread*g[i]
				}
				return unit(g...)
			}
			var centres [][]float32
			for range n / 200 {
				centres = append(centres, random())
			}
			draw := func() []float32 {
				if !tc.clustered {
					return random()
				}
				return near(centres[r.IntN(len(centres))], 1)
			}
			vecs := make([]testVec, n)
			for i := range vecs {
				vecs[i] = testVec{id: int64(i + 1), coll: 1, v: draw()}
			}
			loads := 0
			x := indexOf(&vecs, &loads)
			x.PartitionAbove = 10000
			ctx := context.Background()
			if err := x.Load(ctx); err != nil {
				t.Fatal(err)
			}
			trained := func() bool {
				deadline := time.Now().Add(time.Minute)
				for time.Now().Before(deadline) {
					x.mu.RLock()
					busy, part := x.training, x.part != nil
					x.mu.RUnlock()
					if !busy {
						return part
					}
					time.Sleep(20 * time.Millisecond)
				}
				t.Fatal("training did not end")
				return false
			}
			part := trained()
			if part != tc.clustered {
				t.Fatalf("partitioned: %v, want %v", part, tc.clustered)
			}
			qs := make([][]float32, queries)
			for i := range qs {
				qs[i] = random()
				if tc.clustered {
					qs[i] = near(vecs[r.IntN(n)].v, 0.6)
				}
			}
			recall := recallAt10(t, x, vecs, qs, 0)
			t.Logf("recall@10 %.3f", recall)
			if recall < 0.98 && tc.clustered || recall < 0.95 {
				t.Errorf("recall@10 %.3f", recall)
			}
			if !tc.clustered {
				return
			}
			x.mu.RLock()
			probe, lists := x.part.nprobe, x.part.nlist()
			x.mu.RUnlock()
			if probe*4 > lists {
				t.Errorf("queries scan %d of %d lists", probe, lists)
			}
			// Added rows are filed and found; doubling the vault trains again.
			for i := range n {
				vecs = append(vecs, testVec{id: int64(n + i + 1), coll: 1, added: 1, v: draw()})
			}
			x.Refresh()
			for _, v := range vecs[n : n+50] {
				got, err := x.Nearest(ctx, v.v, 1, 0)
				if err != nil || len(got) != 1 || got[0].ChunkID != v.id {
					t.Fatalf("an added vector is not found: %v %v", got, err)
				}
			}
			trained()
			x.mu.RLock()
			at, held := x.trainedAt, x.v.len()
			x.mu.RUnlock()
			if at != 2*n || held != 2*n || loads != 1 {
				t.Errorf("trained at %d of %d vectors, %d full reads", at, held, loads)
			}
		})
	}
}

// recallAt10 is the share of the exact top 10 (by float dot product, in
// the collection; 0: all) that the index finds for the queries.
func recallAt10(t *testing.T, x *VectorIndex, vecs []testVec, qs [][]float32, coll int64) float64 {
	t.Helper()
	hits := 0
	for _, q := range qs {
		want := exactTop10(vecs, q, coll)
		got, err := x.Nearest(context.Background(), q, 10, coll)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			if want[c.ChunkID] {
				hits++
			}
		}
	}
	return float64(hits) / float64(10*len(qs))
}

// exactTop10 is the ids of q's 10 nearest vectors by float dot product
// (in the collection; 0: all).
func exactTop10(vecs []testVec, q []float32, coll int64) map[int64]bool {
	type scored struct {
		id int64
		s  float32
	}
	var all []scored
	for _, v := range vecs {
		if coll == 0 || v.coll == coll {
			all = append(all, scored{v.id, dotF32(q, v.v)})
		}
	}
	slices.SortFunc(all, func(a, b scored) int { return -cmpFloat(a.s, b.s) })
	want := map[int64]bool{}
	for _, a := range all[:min(10, len(all))] {
		want[a.id] = true
	}
	return want
}
