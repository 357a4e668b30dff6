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
	"unsafe"

	"github.com/hoardvault/hoard/backend/store"
)

// VectorIndex keeps every embedded chunk's sign bits and int8 codes in
// memory and finds a query's nearest chunks in up to three steps, each
// core taking its own range of rows:
//
//  1. in a large vault, the count of sign bits that differ from the
//     query's where |q| is large passes on the nearest share (see
//     signQuery.heavy and prefilterKeep);
//  2. those are ranked by their sign bits against |q| in four bit planes
//     (see signQuery): not reducing the query to signs follows the true
//     order far more closely than Hamming does;
//  3. the int8 codes score the nearest of them (ShortlistSize) almost
//     exactly.
//
// Why in memory: sqlite-vec's KNN keeps its top k at a cost that grows
// with k, and reading thousands of rescoring rows from SQLite takes tens of
// milliseconds a query; held here they cost 432 bytes a chunk at 384
// dimensions. Why the shortlist grows with the vault: one bit a dimension
// barely tells apart vectors that are all nearly as far from the query as
// each other (uniformly random ones are the worst case). Over 1,000,000
// uniform 384-dim vectors (hoard bench vectors's) a 10,000 shortlist keeps
// 0.980 of the true top 10, 16,000 keeps 0.990 and 21,000 0.992, what
// scoring every int8 code finds.
type VectorIndex struct {
	src VectorSource
	// PrefilterAbove is the vault size from which step 1 runs, passing
	// on about that many vectors (at least prefilterKeep of the vault;
	// default 50,000: below it, step 2 over every vector costs about a
	// millisecond a core).
	PrefilterAbove int
	// PartitionAbove is the vault size from which a coarse partition is
	// trained (default 100,000; negative: never), so that a query scans a
	// few lists of vectors near it instead of the whole vault.
	PartitionAbove int
	// Sidecar is the file the index is saved to and read from at a start
	// ("": none): see vecfile.go.
	Sidecar string
	sample  int // vectors the prefilter's cut is taken from (default 20,000)
	batch   int // rows a full read hands over at a time (default loadBatch)

	mu      sync.RWMutex
	gen     int                // bumped by each full read: an older reader or trainer gives up
	loaded  bool               // every row is held
	loading bool               // a full read is under way: rows above `through` are scanned in the store
	through int64              // during a full read, the highest chunk id held
	done    chan struct{}      // closed when the full read under way ends
	cancel  context.CancelFunc // stops it
	loadErr error              // why the last full read failed, told to the next search
	stale   bool               // rows may have been added or removed since loading
	added   int64              // the latest write batch held
	v       vecs
	perColl map[int64]int // vectors held per collection
	part    *partition    // nil: none (a small vault, not trained yet, or not worth it)
	// trainedAt is the size the last training ran at (0: none), so a vault
	// where a partition does not pay is not trained again until it doubles.
	trainedAt int
	training  bool
	trained   chan struct{}   // closed when the training under way ends
	life      context.Context // the current full read's, for the training after it
	// changes is the store's count of in-place changes the held rows
	// reflect (stamped: known), so a catch-up also notices a row changed
	// by another process, and a saved copy says what state it is of.
	changes int64
	stamped bool
	// savedRows is how many rows the sidecar holds of what is held now
	// (0: none of it), savedPart whether with the partition; saving, a
	// save under way.
	savedRows int
	savedPart bool
	saving    bool
	saveMu    sync.Mutex // one save at a time
}

// vecs is the held vectors, row by row in one array per field. A copy of
// it (the slice headers) stays valid while rows are appended.
type vecs struct {
	dims   int // per int8 code vector
	words  int // uint64 words of sign bits per vector
	ids    []int64
	colls  []int64
	bits   []uint64
	codes  []int8
	scales []float32
}

// adviseHuge asks for huge pages under the codes and sign bits, sized
// and not yet filled.
func (v *vecs) adviseHuge() {
	adviseHuge(bytesOf(v.codes[:cap(v.codes)]))
	adviseHuge(bytesOf(v.bits[:cap(v.bits)]))
}

func (v *vecs) len() int                         { return len(v.ids) }
func (v *vecs) row(i int) []uint64               { return v.bits[i*v.words : (i+1)*v.words] }
func (v *vecs) code(i int) []int8                { return v.codes[i*v.dims : (i+1)*v.dims] }
func (v *vecs) score(q []float32, i int) float32 { return dotCodes(q, v.code(i)) * v.scales[i] }

// VectorSource is where the index reads vectors (the store).
type VectorSource interface {
	// EachVector calls fn for the rows of write batches after `after`
	// (-1: all rows), in id order.
	EachVector(ctx context.Context, after int64, fn func(store.StoredVector)) error
	// VectorRows counts the rows.
	VectorRows(ctx context.Context) (int, error)
	// NearestVectors calls fn for the n rows with ids above afterID (in
	// the collection, 0: all) nearest to q, found by scanning the store.
	NearestVectors(ctx context.Context, q []float32, n int, collection, afterID int64, fn func(store.StoredVector)) error
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

// reset drops every held vector and stops a full read under way.
func (x *VectorIndex) reset() {
	if x.cancel != nil {
		x.cancel()
	}
	x.gen++
	x.loaded, x.loading, x.stale, x.added, x.through = false, false, false, 0, 0
	x.done, x.cancel, x.loadErr = nil, nil, nil
	x.v, x.perColl, x.part, x.trainedAt, x.training, x.trained, x.life = vecs{}, nil, nil, 0, false, nil, nil
	x.changes, x.stamped, x.savedRows, x.savedPart = 0, false, 0, false
}

// append adds one row (x.mu held, or the vecs not yet shared).
func (v *vecs) append(sv store.StoredVector) bool {
	dims := len(sv.Int8)
	if dims == 0 {
		dims = len(sv.F32) / 4
	}
	w := (len(sv.Bits) + 7) / 8
	if v.dims == 0 {
		v.dims, v.words = dims, w
	}
	if dims == 0 || dims != v.dims || w != v.words {
		return false // no rescoring form, or another width: left out until a rebuild
	}
	var buf [8]byte
	for k := range w {
		n := copy(buf[:], sv.Bits[8*k:])
		clear(buf[n:])
		v.bits = append(v.bits, binary.LittleEndian.Uint64(buf[:]))
	}
	codes, scale := sv.Int8, sv.Int8Scale
	if len(codes) == 0 {
		codes, scale = store.QuantizeInt8(store.Float32s(sv.F32))
	}
	v.codes = append(v.codes, unsafeInt8s(codes)...)
	v.scales = append(v.scales, float32(scale))
	v.ids = append(v.ids, sv.ID)
	v.colls = append(v.colls, sv.Collection)
	return true
}

// unsafeInt8s reads bytes as int8 codes without a copy.
func unsafeInt8s(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b))
}

// add appends one row to the index (x.mu held) and files it in the
// partition.
func (x *VectorIndex) add(sv store.StoredVector) bool {
	if !x.v.append(sv) {
		return false
	}
	if x.perColl == nil {
		x.perColl = map[int64]int{}
	}
	x.perColl[sv.Collection]++
	x.added = max(x.added, sv.Added)
	if x.part != nil {
		x.part.file(&x.v, x.v.len()-1)
	}
	return true
}

// ensure starts a full read when nothing is held, and catches up with
// rows added since the last read. It does not wait for a full read:
// searches meanwhile scan in the store the rows not yet held.
func (x *VectorIndex) ensure(ctx context.Context) error {
	x.mu.RLock()
	ok := (x.loaded && !x.stale) || x.loading
	x.mu.RUnlock()
	if ok {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.loadErr; err != nil {
		x.loadErr = nil // told once; the next search reads again
		return err
	}
	if x.loading || (x.loaded && !x.stale) {
		return nil
	}
	if !x.loaded && x.Sidecar != "" && x.openSidecar(ctx) == nil {
		// The life of what runs after: training, saving.
		x.life, x.cancel = context.WithCancel(context.WithoutCancel(ctx))
		if !x.stale {
			x.maybeTrain(x.life)
			return nil
		}
	}
	if x.loaded {
		// Catch up: the rows added since, then whether any went away
		// (held + added ≠ rows) or changed in place, which only a full
		// read can settle.
		if x.caughtUp(ctx) {
			x.stale = false
			x.maybeTrain(x.life)
			x.saveLater(x.life)
			return nil
		}
	}
	x.startLoad(ctx)
	return nil
}

// caughtUp reads the rows added since the last read and reports whether
// the index then matches the store (x.mu held).
func (x *VectorIndex) caughtUp(ctx context.Context) bool {
	// A row of another width is one the held rows cannot be matched
	// with (the vectors were made again by another model).
	other := false
	err := x.src.EachVector(ctx, x.added, func(sv store.StoredVector) { other = !x.add(sv) || other })
	if err != nil || other {
		return false
	}
	if sp, ok := x.src.(vectorStamper); ok {
		st, err := sp.VectorStamp(ctx)
		return err == nil && x.stamped && st.Changes == x.changes && st.Rows == x.v.len()
	}
	n, err := x.src.VectorRows(ctx)
	return err == nil && n == x.v.len()
}

// saveLater saves the index in the background once a training under way
// ends, when the sidecar lacks an eighth of the rows or the partition
// (x.mu held).
func (x *VectorIndex) saveLater(ctx context.Context) {
	n := x.v.len()
	fresh := x.savedRows > 0 && n-x.savedRows < x.savedRows/8 && x.savedPart == (x.part != nil || x.training)
	if x.Sidecar == "" || ctx == nil || x.saving || n == 0 || fresh {
		return
	}
	x.saving = true
	trained := x.trained
	go func() {
		defer func() {
			x.mu.Lock()
			x.saving = false
			x.mu.Unlock()
		}()
		if wait(ctx, trained) == nil {
			x.Save(ctx) // a copy only: a failure costs the next start time, not answers
		}
	}()
}

// loadBatch is how many rows a full read gathers before it hands them to
// searches (under the write lock, briefly).
const loadBatch = 16384

// startLoad drops what is held and reads every row in the background
// (x.mu held). The read outlives the search that started it.
func (x *VectorIndex) startLoad(ctx context.Context) {
	x.reset()
	gen := x.gen
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	x.loading, x.done, x.cancel, x.life = true, done, cancel, lctx
	go func() {
		defer close(done)
		err := x.readAll(lctx, gen)
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.gen != gen {
			return // dropped meanwhile
		}
		x.loading, x.cancel = false, nil
		if err != nil {
			x.reset()
			x.loadErr = fmt.Errorf("load the vector index: %w", err)
			return
		}
		x.loaded = true
		x.maybeTrain(lctx)
		x.saveLater(lctx)
	}()
}

// readAll reads every row, handing them over a batch at a time.
func (x *VectorIndex) readAll(ctx context.Context, gen int) error {
	// The stamp before the rows: a change made during the read makes the
	// index look older than it is, never newer.
	if sp, ok := x.src.(vectorStamper); ok {
		st, err := sp.VectorStamp(ctx)
		if err != nil {
			return err
		}
		x.mu.Lock()
		if x.gen == gen {
			x.changes, x.stamped = st.Changes, true
		}
		x.mu.Unlock()
	}
	n, err := x.src.VectorRows(ctx)
	if err != nil {
		return err
	}
	var b vecs
	var added int64
	publish := func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.gen != gen || b.len() == 0 {
			return
		}
		if x.v.ids == nil {
			// Sized once for the whole vault: growing by appends would
			// hold up to twice the codes for a moment.
			w, d := b.words, b.dims
			x.v = vecs{dims: d, words: w, ids: make([]int64, 0, n), colls: make([]int64, 0, n),
				bits: make([]uint64, 0, n*w), codes: make([]int8, 0, n*d), scales: make([]float32, 0, n)}
			x.v.adviseHuge()
			x.perColl = map[int64]int{}
		}
		if b.dims == x.v.dims && b.words == x.v.words {
			x.v.ids, x.v.colls = append(x.v.ids, b.ids...), append(x.v.colls, b.colls...)
			x.v.bits, x.v.codes, x.v.scales = append(x.v.bits, b.bits...), append(x.v.codes, b.codes...), append(x.v.scales, b.scales...)
			for _, c := range b.colls {
				x.perColl[c]++
			}
		}
		x.through, x.added = b.ids[len(b.ids)-1], max(x.added, added)
		b.ids, b.colls, b.bits, b.codes, b.scales = b.ids[:0], b.colls[:0], b.bits[:0], b.codes[:0], b.scales[:0]
	}
	err = x.src.EachVector(ctx, -1, func(sv store.StoredVector) {
		if b.append(sv) {
			added = max(added, sv.Added)
		}
		if b.len() >= cmp.Or(x.batch, loadBatch) {
			publish()
		}
	})
	if err != nil {
		return err
	}
	publish()
	return ctx.Err()
}

// Load reads the vectors now, ahead of the first search, and waits until
// they are held (searches meanwhile are answered from the store).
func (x *VectorIndex) Load(ctx context.Context) error {
	if err := x.ensure(ctx); err != nil {
		return err
	}
	x.mu.RLock()
	done := x.done
	x.mu.RUnlock()
	if err := wait(ctx, done); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.loadErr; err != nil {
		x.loadErr = nil
		return err
	}
	return nil
}

// Ready reports whether every vector is held in memory (searches before
// then scan the rest in the store) and whether the coarse partition
// serves.
func (x *VectorIndex) Ready() (held, partitioned bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.loaded, x.part != nil
}

// wait waits for done to close (nil: nothing to wait for) or ctx to end.
func wait(ctx context.Context, done <-chan struct{}) error {
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Partition waits for a training under way and reports the partition's
// lists and how many a query scans (0, 0: none serves).
func (x *VectorIndex) Partition(ctx context.Context) (lists, probe int, err error) {
	x.mu.RLock()
	done := x.trained
	x.mu.RUnlock()
	if err := wait(ctx, done); err != nil {
		return 0, 0, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.part == nil {
		return 0, 0, nil
	}
	return x.part.nlist(), x.part.nprobe, nil
}

// Len is the number of vectors held.
func (x *VectorIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.v.len()
}

// Bytes is the memory the held vectors take.
func (x *VectorIndex) Bytes() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return 8*len(x.v.bits) + len(x.v.codes) + 4*len(x.v.scales) + 16*len(x.v.ids) + x.part.bytes()
}

// ShortlistSize is how many vectors the scan of sign bits keeps for
// rescoring with the int8 codes when n results are wanted from total
// vectors. The true top 10 of uniform vectors (the hardest case) rank
// lower by their signs as the vault grows, about as its cube root: 0.98
// of them are within the best 7,000 at 100,000 vectors, 20,000 at a
// million; clustered ones, as real embeddings are, within 2,000.
func ShortlistSize(n, total int) int {
	return min(total, max(4*n, 1000)+int(200*math.Cbrt(float64(total))))
}

// Nearest returns the n vectors with the highest dot product with q
// (collection 0: every collection), best first; the scores are dot
// products with the int8 vectors. While the index is still reading the
// vault, the rows it does not hold yet are scanned in the store: slower,
// but the answer is the same.
func (x *VectorIndex) Nearest(ctx context.Context, q []float32, n int, collection int64) ([]Candidate, error) {
	if err := x.ensure(ctx); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, nil
	}
	x.mu.RLock()
	loading, through, dims := x.loading, x.through, x.v.dims
	if dims != 0 && len(q) != dims {
		x.mu.RUnlock()
		return nil, fmt.Errorf("vector index: the query has %d dims, the index %d", len(q), dims)
	}
	var out []Candidate
	if x.v.len() > 0 {
		out = x.nearest(q, n, collection)
	}
	x.mu.RUnlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if loading {
		// The store ranks by cosine with the query in int8; a few more
		// rows than wanted, scored here as the index scores, settle near
		// ties the same way.
		err := x.src.NearestVectors(ctx, q, 2*n+10, collection, through, func(sv store.StoredVector) {
			one := vecs{dims: len(q)} // the codes alone: the store sends no sign bits
			sv.Bits = nil
			if one.append(sv) {
				out = append(out, Candidate{ChunkID: sv.ID, Score: float64(one.score(q, 0))})
			}
		})
		if err != nil {
			return nil, fmt.Errorf("vector index: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int { return cmp.Compare(b.Score, a.Score) })
	return out[:min(n, len(out))], nil
}

// nearest searches the held vectors (x.mu held for reading).
func (x *VectorIndex) nearest(q []float32, n int, collection int64) []Candidate {
	v := &x.v
	if len(q) != v.dims {
		return nil
	}
	var best []rowScore
	if p := x.part; p != nil && x.loaded && p.serves(x.perColl, v.len(), collection) {
		best = p.nearest(v, q, n, collection, x.perColl)
	} else {
		total := v.len()
		if collection != 0 {
			total = x.perColl[collection]
		}
		best = v.nearestFlat(q, n, collection, ShortlistSize(n, total), x.prefilter(total), cmp.Or(x.sample, 20000))
	}
	out := make([]Candidate, len(best))
	for i, b := range best {
		out[i] = Candidate{ChunkID: v.ids[b.row], Score: float64(b.score)}
	}
	return out
}

// prefilter is the share of a vault of total vectors that the
// prefilter passes on to be weighed (0: all of them, without counting).
func (x *VectorIndex) prefilter(total int) float64 {
	return prefilterShare(total, cmp.Or(x.PrefilterAbove, prefilterAbove))
}

// prefilterShare is prefilter's share where it runs above `above` vectors.
func prefilterShare(total, above int) float64 {
	if total <= above {
		return 0
	}
	return max(float64(above)/float64(total), prefilterKeep)
}

// prefilterKeep is the least share of a large vault the prefilter passes
// on: at a million uniform vectors, its best 5% (2.4 times the shortlist)
// hold the sign bits' best 21,000 but for 3 in 1,000 of the true top 10.
// Below that the vault's size matters more than its share: 20% of 20,000
// vectors keep 0.987 of them (TestVectorPrefilterKeepsTheNearest), so a
// vault passes on at least prefilterAbove vectors.
const (
	prefilterKeep  = 0.05
	prefilterAbove = 50_000
)

// nearestFlat scans every vector of the collection (0: all): the weighted
// distance of its sign bits from the query's, for those within the
// heavyDist that keeps about prefilter of a sample (0: every
// vector), then rescores the nearest keep with the int8 codes. Each core
// scans its own range of rows.
func (v *vecs) nearestFlat(q []float32, n int, collection int64, keep int, prefilter float64, sample int) []rowScore {
	sq := newSignQuery(q, v.words)
	hamCut := -1
	if prefilter > 0 {
		hamCut = v.hammingCut(sq, prefilter, collection, sample)
	}
	parts := make([]scanned, runtime.GOMAXPROCS(0))
	total := v.len()
	inParts(len(parts), 1, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			parts[p] = sq.scan(v, p*total/len(parts), (p+1)*total/len(parts), collection, hamCut)
		}
	})
	return v.nearestScanned(q, parts, keep, n)
}

// hammingCut is the heavyDist from the query's signs within which
// about the fraction keep of the collection's vectors lie, by a sample of
// them (-1: every vector, when the collection is too small to show in the
// sample, and so small enough to weigh whole). The sample is a few dozen
// runs of adjacent rows, scattered over the vault (a stride could fall in
// step with how collections interleave): each run is read in order, where
// single rows would each wait on memory.
func (v *vecs) hammingCut(sq *signQuery, keep float64, collection int64, sample int) int {
	total := v.len()
	const runs = 32
	run := max(1, min(total, sample)/runs)
	hist := make([]int, 64*v.words+1)
	sampled := 0
	for k := range runs {
		start := int(uint64(k) * 2654435761 % uint64(max(1, total-run)))
		for i := start; i < min(total, start+run); i++ {
			if collection == 0 || v.colls[i] == collection {
				hist[sq.heavyDist(v.row(i))]++
				sampled++
			}
		}
	}
	if sampled < 1000 {
		return -1
	}
	acc := 0
	for d, c := range hist {
		acc += c
		if float64(acc) >= keep*float64(sampled) {
			return d
		}
	}
	return -1
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
