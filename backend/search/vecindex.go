package search

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/hoardvault/hoard/backend/store"
)

// VectorIndex keeps every embedded chunk's sign bits and int8 codes in
// memory and finds a query's nearest chunks in up to three steps:
//
//  1. in a large vault, Hamming distance between sign bits keeps a fifth;
//  2. the float query scored against the sign bits (a table of partial
//     sums per byte) keeps a shortlist. Not reducing the query to signs
//     follows the true order far more closely than Hamming does;
//  3. the int8 codes score the shortlist almost exactly.
//
// Why in memory: sqlite-vec's KNN keeps its top k at a cost that grows
// with k, and reading thousands of rescoring rows from SQLite takes tens of
// milliseconds a query; held here they cost 432 bytes a chunk at 384
// dimensions. Why the shortlist grows with the vault: one bit a dimension
// barely tells apart vectors that are all nearly as far from the query as
// each other (uniformly random ones are the worst case). Over 1,000,000
// uniform 384-dim vectors a 2,000 shortlist keeps 0.83 of the true top 10,
// 10,000 keeps 0.96, 20,000 0.97.
type VectorIndex struct {
	src VectorSource
	// PrefilterAbove is the vault size from which step 1 runs (default
	// 200,000: below it, step 2 over every vector costs under 5 ms).
	PrefilterAbove int
	sample         int // vectors the prefilter's cut is taken from (default 20,000)

	mu     sync.RWMutex
	loaded bool
	stale  bool  // rows may have been added or removed since loading
	added  int64 // the latest write batch held
	dims   int   // per int8 code vector
	words  int   // uint64 words of sign bits per vector
	ids    []int64
	colls  []int64
	bits   []uint64
	codes  []int8
	scales []float32
}

// VectorSource is where the index reads vectors (the store).
type VectorSource interface {
	// EachVector calls fn for the rows of write batches after `after`
	// (-1: all rows).
	EachVector(ctx context.Context, after int64, fn func(store.StoredVector)) error
	// VectorRows counts the rows.
	VectorRows(ctx context.Context) (int, error)
}

// NewVectorIndex makes an index that loads itself from src on first use.
func NewVectorIndex(src VectorSource) *VectorIndex {
	return &VectorIndex{src: src}
}

// Invalidate drops the index; the next search reads every vector again
// (after a rebuild, or when vectors changed collection).
func (x *VectorIndex) Invalidate() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.reset()
}

// Refresh tells the index that vectors were added or deleted. The next
// search reads only the rows added since; only when rows also went away
// (the count differs) does it read everything again. A large vault keeps
// its index across ingests instead of rereading it after each.
func (x *VectorIndex) Refresh() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.stale = true
}

func (x *VectorIndex) reset() {
	x.loaded, x.stale, x.added = false, false, 0
	x.dims, x.words = 0, 0
	x.ids, x.colls, x.bits, x.codes, x.scales = nil, nil, nil, nil, nil
}

func (x *VectorIndex) append(v store.StoredVector) {
	dims := len(v.Int8)
	if dims == 0 {
		dims = len(v.F32) / 4
	}
	w := (len(v.Bits) + 7) / 8
	if x.dims == 0 {
		x.dims, x.words = dims, w
	}
	if dims == 0 || dims != x.dims || w != x.words {
		return // no rescoring form, or another width: left out until a rebuild
	}
	var buf [8]byte
	for k := range w {
		n := copy(buf[:], v.Bits[8*k:])
		clear(buf[n:])
		x.bits = append(x.bits, binary.LittleEndian.Uint64(buf[:]))
	}
	codes, scale := v.Int8, v.Int8Scale
	if len(codes) == 0 {
		f := make([]float32, dims)
		for i := range f {
			f[i] = math.Float32frombits(binary.LittleEndian.Uint32(v.F32[4*i:]))
		}
		codes, scale = store.QuantizeInt8(f)
	}
	for _, c := range codes {
		x.codes = append(x.codes, int8(c))
	}
	x.scales = append(x.scales, float32(scale))
	x.ids = append(x.ids, v.ID)
	x.colls = append(x.colls, v.Collection)
	x.added = max(x.added, v.Added)
}

func (x *VectorIndex) ensure(ctx context.Context) error {
	x.mu.RLock()
	ok := x.loaded && !x.stale
	x.mu.RUnlock()
	if ok {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.loaded && !x.stale {
		return nil
	}
	if x.loaded {
		// Catch up: the rows added since, then whether any went away
		// (held + added ≠ rows), which only a full read can settle.
		err := x.src.EachVector(ctx, x.added, x.append)
		n, cerr := 0, err
		if err == nil {
			n, cerr = x.src.VectorRows(ctx)
		}
		if cerr == nil && n == len(x.ids) {
			x.stale = false
			return nil
		}
	}
	x.reset()
	if err := x.src.EachVector(ctx, -1, x.append); err != nil {
		x.reset()
		return err
	}
	x.loaded = true
	return nil
}

// Load reads the vectors now, ahead of the first search.
func (x *VectorIndex) Load(ctx context.Context) error { return x.ensure(ctx) }

// Len is the number of vectors held.
func (x *VectorIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// Bytes is the memory the held vectors take.
func (x *VectorIndex) Bytes() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return 8*len(x.bits) + len(x.codes) + 4*len(x.scales) + 16*len(x.ids)
}

// ShortlistSize is how many vectors step 2 keeps for exact scoring when
// n results are wanted from total vectors.
func ShortlistSize(n, total int) int {
	return min(total, max(4*n, 1000)+total/50)
}

// Nearest returns the n vectors with the highest dot product with q
// (collection 0: every collection), best first; the scores are dot
// products with the int8 vectors.
func (x *VectorIndex) Nearest(ctx context.Context, q []float32, n int, collection int64) ([]Candidate, error) {
	if err := x.ensure(ctx); err != nil {
		return nil, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	total := len(x.ids)
	if total == 0 || n <= 0 {
		return nil, nil
	}
	if len(q) != x.dims {
		return nil, fmt.Errorf("vector index: the query has %d dims, the index %d", len(q), x.dims)
	}
	var prefilter float64 // the fraction the Hamming prefilter keeps
	if above := cmp.Or(x.PrefilterAbove, 200_000); total > above {
		prefilter = float64(max(above, total/5)) / float64(total)
	}
	rows := x.shortlist(q, ShortlistSize(n, total), prefilter, collection)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	scores := make([]float32, len(rows))
	inParts(len(rows), 2000, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r := int(rows[i])
			scores[i] = dotCodes(q, x.codes[r*x.dims:(r+1)*x.dims]) * x.scales[r]
		}
	})
	best := topIndices(scores, n)
	out := make([]Candidate, len(best))
	for i, b := range best {
		out[i] = Candidate{ChunkID: x.ids[rows[b]], Score: float64(scores[b])}
	}
	slices.SortFunc(out, func(a, b Candidate) int { return cmp.Compare(b.Score, a.Score) })
	return out[:min(n, len(out))], nil
}

// signTable holds, for each byte of sign bits, the partial sum q·s over
// its 8 dimensions (s = ±1) for each of the byte's 256 values, so scoring
// a vector against the float query costs one lookup per byte.
func signTable(q []float32, words int) [][256]float32 {
	lut := make([][256]float32, 8*words)
	for b := range lut {
		var base float32
		for t := range 8 {
			if j := 8*b + t; j < len(q) {
				base -= q[j]
			}
		}
		lut[b][0] = base
		for v := 1; v < 256; v++ {
			var qj float32
			if j := 8*b + bits.TrailingZeros8(uint8(v)); j < len(q) {
				qj = q[j]
			}
			lut[b][v] = lut[b][v&(v-1)] + 2*qj
		}
	}
	return lut
}

// signScore is q·s for one vector's sign bits.
func signScore(lut [][256]float32, row []uint64) float32 {
	var s float32
	for k, v := range row {
		l := (*[8][256]float32)(lut[8*k : 8*k+8])
		s += l[0][v&255] + l[1][(v>>8)&255] + l[2][(v>>16)&255] + l[3][(v>>24)&255] +
			l[4][(v>>32)&255] + l[5][(v>>40)&255] + l[6][(v>>48)&255] + l[7][v>>56]
	}
	return s
}

// shortlist scores the vectors of the collection (0: all) by the float
// query against their sign bits and keeps about keep of the best. In a
// large vault (prefilter > 0) only those whose sign bits are within a
// Hamming distance of the query's are scored: the distance that keeps
// about that fraction of a sample. One pass does both, so each
// vector's bits are read once, in order.
func (x *VectorIndex) shortlist(q []float32, keep int, prefilter float64, collection int64) []int32 {
	w := x.words
	total := len(x.ids)
	lut := signTable(q, w)
	cut := 64 * w // every vector
	qb := make([]uint64, w)
	if prefilter > 0 {
		for i, v := range q {
			if v > 0 {
				qb[i/64] |= 1 << (i % 64)
			}
		}
		hist := make([]int, 64*w+1)
		sampled, sample := 0, min(total, cmp.Or(x.sample, 20000))
		for k := range sample {
			// Scattered, not strided: a stride could fall in step with
			// how collections interleave.
			i := int(uint64(k) * 2654435761 % uint64(total))
			if collection == 0 || x.colls[i] == collection {
				hist[hammingDist(x.bits[i*w:i*w+w], qb)]++
				sampled++
			}
		}
		// A collection too small to show in the sample is small enough to
		// score whole.
		if sampled < 1000 {
			prefilter = 0
		}
		acc := 0
		for d, c := range hist {
			acc += c
			if prefilter > 0 && float64(acc) >= prefilter*float64(sampled) {
				cut = d
				break
			}
		}
	}
	type part struct {
		rows []int32
		est  []float32
	}
	parts := make([]part, runtime.GOMAXPROCS(0))
	n := len(parts)
	inParts(n, 1, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			a, b := p*total/n, (p+1)*total/n
			var out part
			for i := a; i < b; i++ {
				if collection != 0 && x.colls[i] != collection {
					continue
				}
				row := x.bits[i*w : i*w+w]
				if prefilter > 0 && hammingDist(row, qb) > cut {
					continue
				}
				out.rows = append(out.rows, int32(i))
				out.est = append(out.est, signScore(lut, row))
			}
			parts[p] = out
		}
	})
	var rows []int32
	var est []float32
	for _, p := range parts {
		rows, est = append(rows, p.rows...), append(est, p.est...)
	}
	best := topIndices(est, keep)
	for i, b := range best {
		best[i] = rows[b]
	}
	return best
}

func hammingDist(a, b []uint64) int {
	d := 0
	for k, v := range a {
		d += bits.OnesCount64(v ^ b[k])
	}
	return d
}

// topIndices returns the indices of the keep highest finite scores, plus
// any that tie with the last within a histogram bin, in no order. Linear:
// a histogram of the scores finds the cut.
func topIndices(scores []float32, keep int) []int32 {
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	finite := 0
	for _, s := range scores {
		if !math.IsInf(float64(s), 0) && !math.IsNaN(float64(s)) {
			lo, hi = min(lo, s), max(hi, s)
			finite++
		}
	}
	if finite == 0 {
		return nil
	}
	const bins = 4096
	width := (hi - lo) / (bins - 1)
	bin := func(s float32) int {
		if width == 0 {
			return 0
		}
		return int((s - lo) / width)
	}
	var hist [bins]int
	for _, s := range scores {
		if s >= lo {
			hist[bin(s)]++
		}
	}
	cut, acc := bins, 0
	for cut > 0 && acc < keep {
		cut--
		acc += hist[cut]
	}
	out := make([]int32, 0, acc)
	for i, s := range scores {
		if s >= lo && bin(s) >= cut {
			out = append(out, int32(i))
		}
	}
	return out
}

// dotCodes is q·codes, four products a step.
func dotCodes(q []float32, codes []int8) float32 {
	codes = codes[:len(q)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(q); i += 4 {
		s0 += q[i] * float32(codes[i])
		s1 += q[i+1] * float32(codes[i+1])
		s2 += q[i+2] * float32(codes[i+2])
		s3 += q[i+3] * float32(codes[i+3])
	}
	for ; i < len(q); i++ {
		s0 += q[i] * float32(codes[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// inParts runs fn over [0, n) split across the cores, in parts of at
// least grain.
func inParts(n, grain int, fn func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), max(1, n/grain))
	if parts <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() { fn(p*n/parts, (p+1)*n/parts) })
	}
	wg.Wait()
}
