package search

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
)

// partition is a coarse partition of the held vectors (an inverted file):
// k-means centroids, each vector filed in the list of its nearest, so a
// query scans the lists of the centroids nearest to it, not every vector.
// The centroids are trained in two levels (k1 coarse ones, then k2 under
// each from the sample vectors nearest it), which costs a fraction of
// k-means over all k1·k2 at once; filing and queries treat them as one
// flat set.
type partition struct {
	dims   int
	k1, k2 int
	cent   []float32 // k1·k2 × dims, unit length
	signs  []uint64  // the centroids' sign bits, as the vectors'
	lists  [][]int32 // rows filed under each fine centroid
	// nprobe is how many lists a query scans: the fewest that found, for
	// sample queries, 0.99 of what scanning every vector finds.
	nprobe int
}

// Partition sizes and costs.
const (
	partIters     = 6    // k-means rounds
	partCoarseFor = 256  // sample vectors per coarse centroid
	partFineFor   = 32   // sample vectors per fine centroid
	partCalibrate = 24   // sample queries of each kind
	partWorthIt   = 0.25 // scanning more than this share of the vectors is no gain
	partRecall    = 0.99 // of the flat scan's top 10, for the sample queries
)

func (p *partition) nlist() int { return p.k1 * p.k2 }

func (p *partition) bytes() int {
	if p == nil {
		return 0
	}
	n := 4*len(p.cent) + 8*len(p.signs)
	for _, l := range p.lists {
		n += 4 * len(l)
	}
	return n
}

// serves reports whether the partition should answer a query in the
// collection (0: all): a collection that is a small share of the vault
// has few vectors in any list, and a flat scan of it is cheap anyway.
func (p *partition) serves(perColl map[int64]int, total int, collection int64) bool {
	return collection == 0 || 5*perColl[collection] >= total
}

// file puts row i in the list of its nearest centroid.
func (p *partition) file(v *vecs, i int) {
	var f filer
	l := f.nearest(p, v, i)
	p.lists[l] = append(p.lists[l], int32(i))
}

// bestCentroid is the centroid (rows of cents) with the highest dot product
// with code, among only (nil: all).
func bestCentroid(cents []float32, dims int, code []int8, only []int32) int {
	best, bs := 0, float32(math.Inf(-1))
	try := func(c int) {
		if s := dotCodes(cents[c*dims:(c+1)*dims], code); s > bs {
			best, bs = c, s
		}
	}
	if only == nil {
		for c := range len(cents) / dims {
			try(c)
		}
	} else {
		for _, c := range only {
			try(int(c))
		}
	}
	return best
}

// probeOrder is the lists ranked by their centroid's dot product with q.
func (p *partition) probeOrder(q []float32) []int32 {
	scores := make([]float32, p.nlist())
	for l := range scores {
		scores[l] = dotF32(q, p.cent[l*p.dims:(l+1)*p.dims])
	}
	order := make([]int32, len(scores))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(scores[b], scores[a]) })
	return order
}

// nearest scans the nearest lists' sign bits for the query and rescores
// the best with the int8 codes. A collection filter scans more lists, as
// its vectors are a share of each.
func (p *partition) nearest(v *vecs, q []float32, n int, collection int64, perColl map[int64]int) []rowScore {
	probe := p.nprobe
	if collection != 0 {
		probe = int(math.Ceil(float64(probe) * float64(v.len()) / float64(max(1, perColl[collection]))))
	}
	order := p.probeOrder(q)
	var rows []int32
	for _, l := range order[:min(probe, len(order))] {
		for _, r := range p.lists[l] {
			if collection == 0 || v.colls[r] == collection {
				rows = append(rows, r)
			}
		}
	}
	sq := newSignQuery(q, v.words)
	parts := make([]scanned, runtime.GOMAXPROCS(0))
	inParts(len(parts), 1, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			mine := rows[k*len(rows)/len(parts) : (k+1)*len(rows)/len(parts)]
			parts[k] = sq.newScanned(len(mine))
			for _, r := range mine {
				parts[k].add(r, sq.dist(v.row(int(r))))
			}
		}
	})
	// Fewer vectors compete than in a flat scan, so a longer share of them
	// is rescored: it costs little and keeps what the sign bits misjudge.
	return v.nearestScanned(q, parts, max(8*n, 2000)+len(rows)/25, n)
}

// trainPartition builds a partition of v's rows and measures the nprobe
// it needs; nil when ctx ends or when a query would have to scan so much
// of the vault that the flat scan is as fast (uniformly random vectors).
func trainPartition(ctx context.Context, v vecs, sample int) *partition {
	total := v.len()
	k := max(2, int(math.Ceil(math.Sqrt(math.Sqrt(float64(total))))))
	p := &partition{dims: v.dims, k1: k, k2: k}
	r := rand.New(rand.NewPCG(uint64(total), 11))
	coarse := kmeans(&v, scattered(total, partCoarseFor*p.k1, 0), p.k1, r)
	if ctx.Err() != nil {
		return nil
	}
	fine := make([][]int32, p.k1)
	for _, i := range scattered(total, partFineFor*p.nlist(), 1) {
		c := bestCentroid(coarse, p.dims, v.code(int(i)), nil)
		fine[c] = append(fine[c], i)
	}
	p.cent = make([]float32, 0, p.nlist()*p.dims)
	for c := range p.k1 {
		if ctx.Err() != nil {
			return nil
		}
		cents := kmeans(&v, fine[c], p.k2, r)
		for len(cents) < p.k2*p.dims { // too few samples: the coarse centroid again
			cents = append(cents, coarse[c*p.dims:(c+1)*p.dims]...)
		}
		p.cent = append(p.cent, cents...)
	}
	p.signs = make([]uint64, p.nlist()*v.words)
	for l := range p.nlist() {
		for j, x := range p.cent[l*p.dims : (l+1)*p.dims] {
			if x > 0 {
				p.signs[l*v.words+j/64] |= 1 << (j % 64)
			}
		}
	}
	p.fileAll(&v)
	if ctx.Err() != nil {
		return nil
	}
	if !p.calibrate(&v, sample, r) {
		return nil
	}
	return p
}

// scattered picks up to m distinct rows of total spread over them, by a
// multiplicative hash (a stride could fall in step with how collections
// or documents interleave).
func scattered(total, m int, salt uint64) []int32 {
	if m >= total {
		out := make([]int32, total)
		for i := range out {
			out[i] = int32(i)
		}
		return out
	}
	seen := make(map[int32]bool, m)
	out := make([]int32, 0, m)
	for k := uint64(0); len(out) < m; k++ {
		i := int32((k*2654435761 + salt*40503) % uint64(total))
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

// kmeans finds k unit centroids of the rows (spherical k-means on their
// int8 codes); fewer when there are fewer rows.
func kmeans(v *vecs, rows []int32, k int, r *rand.Rand) []float32 {
	d := v.dims
	k = min(k, len(rows))
	cents := make([]float32, k*d)
	for c, i := range r.Perm(len(rows))[:k] {
		decode(v, int(rows[i]), cents[c*d:(c+1)*d])
	}
	of := make([]int32, len(rows))
	sums := make([]float64, k*d)
	for range partIters {
		inParts(len(rows), 256, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				of[i] = int32(bestCentroid(cents, d, v.code(int(rows[i])), nil))
			}
		})
		clear(sums)
		for i, row := range rows {
			c, code, s := int(of[i]), v.code(int(row)), float64(v.scales[row])
			for j, x := range code {
				sums[c*d+j] += float64(x) * s
			}
		}
		for c := range k {
			var n float64
			for _, x := range sums[c*d : (c+1)*d] {
				n += x * x
			}
			if n == 0 {
				continue // no members: kept where it was
			}
			inv := 1 / math.Sqrt(n)
			for j, x := range sums[c*d : (c+1)*d] {
				cents[c*d+j] = float32(x * inv)
			}
		}
	}
	return cents
}

// decode writes row i's vector, unit length, into out.
func decode(v *vecs, i int, out []float32) {
	var n float64
	for j, x := range v.code(i) {
		out[j] = float32(x)
		n += float64(x) * float64(x)
	}
	if n > 0 {
		inv := float32(1 / math.Sqrt(n))
		for j := range out {
			out[j] *= inv
		}
	}
}

// fileAll files every row.
func (p *partition) fileAll(v *vecs) {
	total := v.len()
	of := make([]int32, total)
	inParts(total, 4096, func(lo, hi int) {
		var f filer
		for i := lo; i < hi; i++ {
			of[i] = int32(f.nearest(p, v, i))
		}
	})
	p.lists = make([][]int32, p.nlist())
	for i, l := range of {
		p.lists[l] = append(p.lists[l], int32(i))
	}
}

// filer finds a row's nearest centroid: the few whose sign bits are
// nearest the row's by Hamming distance (a few popcounts a centroid, where
// an exact score costs a multiply a dimension), then the best of those by
// the int8 codes. Ranking coarse centroids first and the fine ones under
// the best few instead filed a tenth of the vectors far from their
// neighbours (at 100,000 clustered vectors, queries needed 30 times the
// lists for the same recall).
type filer struct {
	dist []int32
	vec  []float32
}

// filePreselect is how many centroids the Hamming distance keeps: at a
// million clustered vectors and 1,024 centroids, 8 found the best centroid
// for 0.66 of the vectors.
const filePreselect = 32

func (f *filer) nearest(p *partition, v *vecs, i int) int {
	nl, w := p.nlist(), v.words
	f.dist = slices.Grow(f.dist[:0], nl)[:nl]
	row := v.row(i)
	var hist [65 * 8]int32 // every distance up to 512 bits
	for l := range nl {
		d := int32(hammingDist(row, p.signs[l*w:(l+1)*w]))
		f.dist[l] = d
		hist[min(int(d), len(hist)-1)]++
	}
	cut, acc := 0, int32(0)
	for cut < len(hist)-1 && acc+hist[cut] < filePreselect {
		acc += hist[cut]
		cut++
	}
	// The codes as floats once, not at each of the centroids' products.
	f.vec = slices.Grow(f.vec[:0], v.dims)[:v.dims]
	for j, c := range v.code(i) {
		f.vec[j] = float32(c)
	}
	best, bs := 0, float32(math.Inf(-1))
	for l, d := range f.dist {
		if int(d) <= cut {
			if s := dotF32(f.vec, p.cent[l*p.dims:(l+1)*p.dims]); s > bs {
				best, bs = l, s
			}
		}
	}
	return best
}

// calibrate sets nprobe from sample queries: stored vectors moved a little
// (as a question is near its passage) and moved far (nearly random, the
// hardest case). For each, the flat scan's top 10 are the answer, and the
// rank of the list each is filed in says how many lists a query must scan
// to find it. It reports whether the partition is worth using.
func (p *partition) calibrate(v *vecs, sample int, r *rand.Rand) bool {
	total := v.len()
	listOf := make([]int32, total)
	for l, rows := range p.lists {
		for _, i := range rows {
			listOf[i] = int32(l)
		}
	}
	prefilter := prefilterShare(total, prefilterAbove)
	nprobe := 1
	for _, spread := range []float64{0.75, 1.25} {
		var need []int
		for _, i := range scattered(total, partCalibrate, uint64(7+10*spread)) {
			q := make([]float32, v.dims)
			decode(v, int(i), q)
			g := randomUnitVec(r, v.dims)
			for j := range q {
				q[j] += float32(spread) * g[j]
			}
			normalize(q)
			top := v.nearestFlat(q, 10, 0, ShortlistSize(10, total), prefilter, sample)
			rank := make([]int, p.nlist())
			for k, l := range p.probeOrder(q) {
				rank[l] = k
			}
			for _, t := range top {
				need = append(need, rank[listOf[t.row]]+1)
			}
		}
		slices.Sort(need)
		if len(need) > 0 {
			nprobe = max(nprobe, need[int(math.Ceil(partRecall*float64(len(need))))-1])
		}
	}
	p.nprobe = nprobe
	// What share of the vectors that many lists hold, by the sizes of the
	// lists (clustered vectors make them uneven).
	sizes := make([]int, p.nlist())
	for l, rows := range p.lists {
		sizes[l] = len(rows)
	}
	slices.Sort(sizes)
	scan := 0
	for _, s := range sizes[len(sizes)-min(nprobe, len(sizes)):] {
		scan += s
	}
	return float64(scan) <= partWorthIt*float64(total)
}

func randomUnitVec(r *rand.Rand, dims int) []float32 {
	g := make([]float32, dims)
	for j := range g {
		g[j] = float32(r.NormFloat64())
	}
	normalize(g)
	return g
}

func normalize(v []float32) {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n > 0 {
		inv := float32(1 / math.Sqrt(n))
		for j := range v {
			v[j] *= inv
		}
	}
}

// dotF32 is a·b, four products a step.
func dotF32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// maybeTrain trains a partition in the background when the vault is large
// enough and has no partition, or has doubled since the last training
// (x.mu held). Searches use the flat scan until it is ready.
func (x *VectorIndex) maybeTrain(ctx context.Context) {
	total := x.v.len()
	above := cmp.Or(x.PartitionAbove, 100_000)
	if above < 0 || total < above || x.training || (x.trainedAt > 0 && total < 2*x.trainedAt) {
		return
	}
	done := make(chan struct{})
	x.training, x.trainedAt, x.trained = true, total, done
	snap, gen, sample := x.v, x.gen, cmp.Or(x.sample, 20000)
	go func() {
		defer close(done)
		p := trainPartition(ctx, snap, sample)
		x.mu.Lock()
		defer x.mu.Unlock()
		if x.gen != gen {
			return // the index was read again meanwhile
		}
		x.training = false
		if p == nil {
			x.part = nil
			return
		}
		for i := snap.len(); i < x.v.len(); i++ {
			p.file(&x.v, i) // added while training
		}
		x.part = p
	}()
}
