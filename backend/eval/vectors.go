package eval

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/store"
)

// VectorOptions size a vector benchmark.
type VectorOptions struct {
	N       int // stored chunks (each with text and a vector)
	Dims    int // 384 is bge-small's width
	Queries int
	Dir     string // where the database goes ("" a temporary folder, removed after)
	// Clustered draws vectors around topic centres and queries near stored
	// vectors, as real embeddings are; otherwise vectors are uniformly
	// random on the sphere (the worst case for a binary shortlist: every
	// vector is nearly as far as every other).
	Clustered bool
	Embedder  search.QueryEmbedder
	// Export is a folder to write the stored vectors, the queries and
	// their exact top 10 to, for a peer engine to search the same vectors
	// (bench/lancedb reads them).
	Export string
	Log    func(format string, args ...any)
}

// VectorReport is what `hoard bench vectors` prints.
type VectorReport struct {
	N            int     `json:"n"`
	Clustered    bool    `json:"clustered"`
	Dims         int     `json:"dims"`
	BuildSeconds float64 `json:"build_seconds"`
	DBBytes      int64   `json:"db_bytes"`
	FloatP50     float64 `json:"float_knn_p50_ms"`
	Int8P50      float64 `json:"int8_knn_p50_ms"`
	BinaryP50    float64 `json:"binary_rescore_p50_ms"`
	HybridP50    float64 `json:"hybrid_p50_ms"`
	HybridP95    float64 `json:"hybrid_p95_ms"`
	EmbedP50     float64 `json:"query_embed_p50_ms,omitempty"`
	RecallAt10   float64 `json:"binary_rescore_recall@10"`
	IndexBytes   int     `json:"index_memory_bytes"` // the in-memory sign bits and int8 codes
	IndexLoadMS  float64 `json:"index_load_ms"`      // reading them from the vault
	Shortlist    int     `json:"shortlist"`          // vectors scored with int8 per query
	Int8Recall   float64 `json:"int8_recall@10"`
	// FirstQueryMS is how long a query asked as the index starts loading
	// takes (answered from the store for the rows not yet held, or read
	// from the saved index when a run before saved one that matches).
	FirstQueryMS float64 `json:"first_query_ms"`
	// ReadyMS is a start with the saved index: from opening the database
	// to the first answer (the file just written, so in the page cache);
	// ReadyHeld whether that answer came from the index in memory.
	SaveMS       float64 `json:"index_save_ms"`
	SidecarBytes int64   `json:"index_file_bytes"`
	ReadyMS      float64 `json:"ready_first_answer_ms"`
	ReadyHeld    bool    `json:"ready_from_file"`
	// PartitionMS is when the coarse partition was ready, from the start
	// of the load; Lists and Probe are its size and how many lists a query
	// scans (0: the flat scan serves).
	PartitionMS float64 `json:"partition_ready_ms,omitempty"`
	Lists       int     `json:"partition_lists,omitempty"`
	Probe       int     `json:"partition_probe,omitempty"`
	HeapBytes   uint64  `json:"index_heap_bytes"` // Go heap in use after the load, less before
	RSSBytes    int64   `json:"rss_bytes"`        // the process's resident memory after the queries
}

// vocabulary for synthetic chunk text: enough distinct words that BM25 has
// something to rank.
func benchWords(r *rand.Rand) []string {
	words := make([]string, 20000)
	const letters = "abcdefghijklmnopqrstuvwxyz"
	for i := range words {
		n := 3 + r.IntN(7)
		b := make([]byte, n)
		for j := range b {
			b[j] = letters[r.IntN(len(letters))]
		}
		words[i] = string(b)
	}
	return words
}

func randomUnit(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	var n float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		n += float64(v[i]) * float64(v[i])
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// vectors draws stored vectors and queries.
type vectors struct {
	r       *rand.Rand
	dims    int
	centres [][]float32
}

func vectorSource(r *rand.Rand, opt VectorOptions) *vectors {
	v := &vectors{r: r, dims: opt.Dims}
	if opt.Clustered {
		for range max(1, opt.N/200) {
			v.centres = append(v.centres, randomUnit(r, opt.Dims))
		}
	}
	return v
}

// near is normalize(base + noise·spread): spread 1 makes cosine ≈ 0.7 to
// the base, 0.5 about 0.9 (at 384 dims).
func (v *vectors) near(r *rand.Rand, base []float32, spread float64) []float32 {
	out := randomUnit(r, v.dims)
	var n float64
	for i := range out {
		out[i] = base[i] + float32(spread)*out[i]
		n += float64(out[i]) * float64(out[i])
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range out {
		out[i] *= inv
	}
	return out
}

func (v *vectors) stored() []float32 {
	if v.centres == nil {
		return randomUnit(v.r, v.dims)
	}
	return v.near(v.r, v.centres[v.r.IntN(len(v.centres))], 1)
}

// query is uniform, or (clustered) a paraphrase of a stored vector. r is
// the queries' own generator, so a run on a database built earlier asks
// the same queries as the run that built it (a peer searches them too).
func (v *vectors) query(ctx context.Context, st *store.Store, r *rand.Rand, n int) ([]float32, error) {
	if v.centres == nil {
		return randomUnit(r, v.dims), nil
	}
	base, err := st.ExactVectors().At(ctx, r.IntN(n))
	if err != nil {
		return nil, err
	}
	return v.near(r, base, 0.6), nil
}

// fixedEmbedder answers every query with the next prepared vector, so the
// hybrid figure measures search, not a model (EmbedP50 reports the model).
type fixedEmbedder struct {
	vecs [][]float32
	i    int
}

func (f *fixedEmbedder) EmbedQuery(context.Context, string) ([]float32, error) {
	v := f.vecs[f.i%len(f.vecs)]
	f.i++
	return v, nil
}

// Vectors builds a store with N chunks of synthetic text and random unit
// vectors (float, int8 and bit forms), then times exact float KNN, int8
// KNN, the binary shortlist rescored with int8 (what search uses), and the
// full hybrid query (BM25 + vectors + fusion + the default stages); it
// reports the binary+rescore recall@10 against exact float search.
func Vectors(ctx context.Context, opt VectorOptions) (VectorReport, error) {
	if opt.Dims == 0 {
		opt.Dims = 384
	}
	if opt.Queries == 0 {
		opt.Queries = 50
	}
	if opt.Log == nil {
		opt.Log = func(string, ...any) {}
	}
	rep := VectorReport{N: opt.N, Dims: opt.Dims, Clustered: opt.Clustered}
	dir := opt.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "hoard-vec-bench-*")
		if err != nil {
			return rep, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	file := filepath.Join(dir, "bench.db")
	st, err := store.Open(ctx, file)
	if err != nil {
		return rep, err
	}
	defer st.Close()
	r := rand.New(rand.NewPCG(7, uint64(opt.N)))
	words := benchWords(r)
	gen := vectorSource(r, opt)
	cfg := store.VectorConfig{Model: "bench", Dims: opt.Dims, Forms: []string{store.FormInt8, store.FormBit}}
	scale := store.DefaultInt8Scale(opt.Dims)
	start := time.Now()
	have, err := countChunks(ctx, st)
	if err != nil {
		return rep, err
	}
	if have != opt.N {
		if have != 0 {
			return rep, fmt.Errorf("%s holds %d chunks, not %d: use an empty folder", file, have, opt.N)
		}
		if err := st.EnsureVectors(ctx, cfg); err != nil {
			return rep, err
		}
		// Exact float and int8 KNN scan their own vec0 columns (the vault's
		// table keeps only the bit column it shortlists with).
		if err := st.ExactVectors().Create(ctx, opt.Dims); err != nil {
			return rep, err
		}
		const perDoc = 500
		for d := 0; d*perDoc < opt.N; d++ {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			n := min(perDoc, opt.N-d*perDoc)
			c := store.Content{Hash: fmt.Sprintf("bench-%d", d), Title: fmt.Sprintf("document %d", d), MediaType: "text/plain"}
			for i := range n {
				text := make([]string, 40)
				for k := range text {
					text[k] = words[int(math.Abs(r.NormFloat64()*3000))%len(words)]
				}
				c.Chunks = append(c.Chunks, store.Chunk{Ordinal: i, Text: strings.Join(text, " ")})
			}
			if _, _, err := st.Index(ctx, "", store.Source{Path: fmt.Sprintf("/bench/%d", d)}, c); err != nil {
				return rep, err
			}
			pend, err := st.PendingChunks(ctx, 0, n)
			if err != nil {
				return rep, err
			}
			ids := make([]int64, len(pend))
			vecs := make([][]float32, len(pend))
			for i, p := range pend {
				ids[i], vecs[i] = p.ID, gen.stored()
			}
			if err := st.PutVectors(ctx, cfg, ids, vecs); err != nil {
				return rep, err
			}
			if err := st.ExactVectors().Put(ctx, ids, vecs, scale); err != nil {
				return rep, err
			}
			if (d+1)%200 == 0 {
				opt.Log("built %d of %d chunks (%s)", (d+1)*perDoc, opt.N, time.Since(start).Round(time.Second))
			}
		}
	}
	rep.BuildSeconds = time.Since(start).Seconds()
	if fi, err := os.Stat(file); err == nil {
		rep.DBBytes = fi.Size()
	}
	queries := make([][]float32, opt.Queries)
	qr := rand.New(rand.NewPCG(11, uint64(opt.N)))
	for i := range queries {
		queries[i], err = gen.query(ctx, st, qr, opt.N)
		if err != nil {
			return rep, err
		}
	}
	exact := st.ExactVectors()
	var tf, ti, tb, th []time.Duration
	var recall, recallI8 float64
	truth := make([][]int64, 0, len(queries))
	sidecar := filepath.Join(dir, "bench.vectors")
	searcher := func(st *store.Store) (*search.VectorIndex, *search.Searcher) {
		index := search.NewVectorIndex(st)
		index.Sidecar = sidecar
		sopt := search.DefaultOptions()
		sopt.Dense = &search.Dense{Embedder: &fixedEmbedder{vecs: queries}, Vectors: cfg, Index: index}
		sopt.Stages[search.StageDecay] = false
		return index, search.NewWithOptions(st.SearchView(), sopt)
	}
	index, denseOnly := searcher(st)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	// The first search after a start does not wait for the load.
	if _, err := denseOnly.DenseList(ctx, queries[0], 10); err != nil {
		return rep, fmt.Errorf("first query: %w", err)
	}
	rep.FirstQueryMS = ms(time.Since(t0))
	if err := index.Load(ctx); err != nil {
		return rep, fmt.Errorf("load the vector index: %w", err)
	}
	rep.IndexLoadMS = ms(time.Since(t0))
	if rep.Lists, rep.Probe, err = index.Partition(ctx); err != nil {
		return rep, err
	}
	if rep.Lists > 0 {
		rep.PartitionMS = ms(time.Since(t0))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if after.HeapInuse > before.HeapInuse {
		rep.HeapBytes = after.HeapInuse - before.HeapInuse
	}
	if err := startWithFile(ctx, index, file, sidecar, searcher, queries[0], &rep); err != nil {
		return rep, err
	}
	// Every exact answer first, then the index's queries back to back: a
	// full SQLite scan of the float vectors between two timed queries
	// would evict the index from the CPU caches, which a user's queries,
	// arriving one after another, do not do. Recall is scored against the
	// same exact answers either way.
	var i8s [][]int64
	for _, q := range queries {
		t0 := time.Now()
		want, err := exact.Nearest(ctx, q, 10)
		if err != nil {
			return rep, fmt.Errorf("float knn: %w", err)
		}
		tf = append(tf, time.Since(t0))
		truth = append(truth, want)
		t0 = time.Now()
		i8, err := exact.NearestInt8(ctx, q, scale, 10)
		if err != nil {
			return rep, fmt.Errorf("int8 knn: %w", err)
		}
		ti = append(ti, time.Since(t0))
		i8s = append(i8s, i8)
	}
	for i, q := range queries {
		t0 := time.Now()
		got, err := denseOnly.DenseList(ctx, q, 10)
		if err != nil {
			return rep, fmt.Errorf("binary knn: %w", err)
		}
		tb = append(tb, time.Since(t0))
		recall += overlap(truth[i], got)
		recallI8 += overlap(truth[i], i8s[i])
	}
	for range queries {
		// The full hybrid query: text from the vocabulary plus the vector.
		text := words[r.IntN(3000)] + " " + words[r.IntN(3000)] + " " + words[r.IntN(3000)]
		t0 := time.Now()
		if _, err := denseOnly.Search(ctx, search.Request{Query: text, Limit: 10}); err != nil {
			return rep, fmt.Errorf("hybrid: %w", err)
		}
		th = append(th, time.Since(t0))
	}
	rep.FloatP50 = (Percentile(tf, 50))
	rep.Int8P50 = (Percentile(ti, 50))
	rep.BinaryP50 = (Percentile(tb, 50))
	rep.HybridP50 = (Percentile(th, 50))
	rep.HybridP95 = (Percentile(th, 95))
	rep.RecallAt10 = recall / float64(len(queries))
	rep.IndexBytes = index.Bytes()
	rep.Shortlist = search.ShortlistSize(10, index.Len())
	rep.Int8Recall = recallI8 / float64(len(queries))
	rep.RSSBytes = residentBytes()
	if opt.Export != "" {
		if err := exportVectors(ctx, st, opt.Export, opt, queries, truth); err != nil {
			return rep, fmt.Errorf("export the vectors: %w", err)
		}
	}
	if opt.Embedder != nil {
		var te []time.Duration
		for i := range 20 {
			t0 := time.Now()
			if _, err := opt.Embedder.EmbedQuery(ctx, fmt.Sprintf("what do my notes say about topic %d", i)); err != nil {
				return rep, err
			}
			te = append(te, time.Since(t0))
		}
		rep.EmbedP50 = (Percentile(te, 50))
	}
	return rep, nil
}

// startWithFile saves the loaded index and times a start that reads it:
// the database opened again, a new index, its first answer.
func startWithFile(ctx context.Context, index *search.VectorIndex, file, sidecar string,
	searcher func(*store.Store) (*search.VectorIndex, *search.Searcher), q []float32, rep *VectorReport) error {
	t0 := time.Now()
	if err := index.Save(ctx); err != nil {
		return err
	}
	rep.SaveMS = ms(time.Since(t0))
	if fi, err := os.Stat(sidecar); err == nil {
		rep.SidecarBytes = fi.Size()
	}
	t0 = time.Now()
	st, err := store.Open(ctx, file)
	if err != nil {
		return err
	}
	defer st.Close()
	again, s := searcher(st)
	if _, err := s.DenseList(ctx, q, 10); err != nil {
		return fmt.Errorf("first query after a start: %w", err)
	}
	rep.ReadyMS = ms(time.Since(t0))
	rep.ReadyHeld, _ = again.Ready()
	again.Invalidate() // its memory back before the queries
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// residentBytes is the process's resident memory (Linux; 0 elsewhere).
func residentBytes() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var n int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), &n)
			return n << 10
		}
	}
	return 0
}

func countChunks(ctx context.Context, st *store.Store) (int, error) {
	stats, err := st.Stats(ctx)
	return stats.Chunks, err
}

func overlap(want, got []int64) float64 {
	if len(want) == 0 {
		return 1
	}
	in := map[int64]bool{}
	for _, id := range want {
		in[id] = true
	}
	n := 0
	for _, id := range got {
		if in[id] {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

// exportVectors writes, for a peer engine: vectors.f32 and ids.i64 (every
// stored vector as float32 and its chunk id, row by row), queries.f32,
// truth.i64 (each query's exact top 10 chunk ids, -1 where fewer) and
// meta.json. All little endian.
func exportVectors(ctx context.Context, st *store.Store, dir string, opt VectorOptions, queries [][]float32, truth [][]int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, fill func(w *bufio.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		defer f.Close()
		w := bufio.NewWriterSize(f, 1<<20)
		if err := fill(w); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return f.Close()
	}
	f32 := func(w *bufio.Writer, v []float32) error {
		_, err := w.Write(store.Float32Blob(v))
		return err
	}
	i64 := func(w *bufio.Writer, v int64) error { return binary.Write(w, binary.LittleEndian, v) }
	ids, err := os.Create(filepath.Join(dir, "ids.i64"))
	if err != nil {
		return err
	}
	defer ids.Close()
	iw := bufio.NewWriterSize(ids, 1<<20)
	rows := 0
	err = write("vectors.f32", func(w *bufio.Writer) error {
		return st.ExactVectors().Each(ctx, func(id int64, b []byte) error {
			if _, err := w.Write(b); err != nil {
				return err
			}
			rows++
			return i64(iw, id)
		})
	})
	if err != nil {
		return err
	}
	if err := iw.Flush(); err != nil {
		return err
	}
	if err := ids.Close(); err != nil {
		return err
	}
	err = write("queries.f32", func(w *bufio.Writer) error {
		for _, q := range queries {
			if err := f32(w, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	const k = 10
	err = write("truth.i64", func(w *bufio.Writer) error {
		for _, t := range truth {
			for j := range k {
				id := int64(-1)
				if j < len(t) {
					id = t[j]
				}
				if err := i64(w, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	meta, err := json.Marshal(map[string]any{"n": rows, "dims": opt.Dims, "queries": len(queries), "k": k, "clustered": opt.Clustered})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644)
}
