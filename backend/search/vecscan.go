package search

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// signQuery is a query as a scan of sign bits reads it: its own signs,
// and |q| rounded to 0..15 in four bit planes. A vector's sign bits s
// score q·s = Σ|q| − 2·Σ|q_j| over the dimensions where s and the query's
// signs differ, so the scan ranks rows by that sum: a popcount per plane
// and word, an integer a row. Equal weights (the Hamming distance) rank
// the true top 10 of a million uniform vectors down to 22% of the vault;
// four bits of weight rank them as scoring the float query against the
// signs does (within the best 3%).
type signQuery struct {
	words  int
	sign   []uint64 // a word per 64 dimensions
	planes []uint64 // plane b of word k at 4k+b
	// heavy is the dimensions where |q| is at least a quarter of its
	// largest: the prefilter counts differing signs only there. Over a
	// million uniform vectors, the exact top 10 are within its best 5% as
	// often as within the best 25% by the plain Hamming distance, which
	// the many dimensions near zero blur.
	heavy []uint64
	max   int // the largest distance a row can have
}

const signPlanes = 4

func newSignQuery(q []float32, words int) *signQuery {
	sq := &signQuery{words: words, sign: make([]uint64, words), planes: make([]uint64, signPlanes*words), heavy: make([]uint64, words)}
	var m float64
	for _, x := range q {
		m = max(m, math.Abs(float64(x)))
	}
	// Distances are kept in 16 bits: very wide vectors get coarser weights.
	levels := float64(min(1<<signPlanes-1, (math.MaxUint16-1)/max(1, len(q))))
	for j, x := range q {
		k, bit := j/64, uint64(1)<<(j%64)
		if x > 0 {
			sq.sign[k] |= bit
		}
		if m == 0 {
			continue
		}
		a := int(math.Round(math.Abs(float64(x)) / m * levels))
		sq.max += a
		if 4*float64(a) >= levels {
			sq.heavy[k] |= bit
		}
		for b := range signPlanes {
			if a>>b&1 == 1 {
				sq.planes[signPlanes*k+b] |= bit
			}
		}
	}
	return sq
}

// dist is a row's weighted distance from the query.
func (sq *signQuery) dist(row []uint64) int {
	sign, planes := sq.sign[:len(row)], sq.planes[:signPlanes*len(row)]
	e := 0
	for k, x := range row {
		d := x ^ sign[k]
		p := planes[signPlanes*k : signPlanes*k+signPlanes]
		e += ones(d&p[0]) + ones(d&p[1])<<1 + ones(d&p[2])<<2 + ones(d&p[3])<<3
	}
	return e
}

// heavyDist is the number of heavy dimensions where a row's signs differ
// from the query's: what the prefilter cuts by.
func (sq *signQuery) heavyDist(row []uint64) int {
	sign, heavy := sq.sign[:len(row)], sq.heavy[:len(row)]
	d := 0
	for k, x := range row {
		d += ones((x ^ sign[k]) & heavy[k])
	}
	return d
}

func ones(x uint64) int { return bits.OnesCount64(x) }

// scanned is what a scan of sign bits keeps of a range of rows: each row
// with its weighted distance, and how many rows are at each distance.
type scanned struct {
	rows []int32
	dist []uint16
	hist []int
}

func (sq *signQuery) newScanned(capacity int) scanned {
	return scanned{rows: make([]int32, 0, capacity), dist: make([]uint16, 0, capacity), hist: make([]int, sq.max+1)}
}

func (s *scanned) add(row int32, d int) {
	s.rows, s.dist = append(s.rows, row), append(s.dist, uint16(d))
	s.hist[d]++
}

// scan scores rows [lo, hi) of the collection (0: all). Those whose signs
// differ from the query's in more than hamCut heavy dimensions (hamCut <
// 0: none) are passed over without weighing: that count, a popcount a
// word, is the cheaper filter.
func (sq *signQuery) scan(v *vecs, lo, hi int, collection int64, hamCut int) scanned {
	// About what a large vault's prefilter passes on: no regrowth.
	out := sq.newScanned((hi - lo) / 3)
	if hamCut < 0 {
		hamCut = 64 * sq.words
	}
	if sq.words == 6 {
		sq.scan6(v, lo, hi, collection, hamCut, &out)
		return out
	}
	for i := lo; i < hi; i++ {
		if collection != 0 && v.colls[i] != collection {
			continue
		}
		row := v.row(i)
		if hamCut < 64*sq.words && sq.heavyDist(row) > hamCut {
			continue
		}
		out.add(int32(i), sq.dist(row))
	}
	return out
}

// scan6 is scan for six words a row (384 dimensions: the usual models'
// width), with fixed sizes: it is the hot loop of a search. A block of
// rows is filtered by heavyDist first and the rows that pass are weighed
// after, while their bits are still in cache: one loop doing both keeps
// too many values live for the registers.
func (sq *signQuery) scan6(v *vecs, lo, hi int, collection int64, hamCut int, out *scanned) {
	s := (*[6]uint64)(sq.sign)
	p := (*[24]uint64)(sq.planes)
	m := (*[6]uint64)(sq.heavy)
	bits := v.bits[:6*hi]
	colls := v.colls[:hi]
	const block = 512
	var pass [block]int32
	for b := lo; b < hi; b += block {
		end := min(hi, b+block)
		n := 0
		for i := b; i < end; i++ {
			r := (*[6]uint64)(bits[6*i:])
			// One running sum: each popcount may call the portable
			// fallback (unless built for x86-64-v2), and values held
			// across it are spilled to the stack, so fewer is faster.
			h := ones((r[0] ^ s[0]) & m[0])
			h += ones((r[1] ^ s[1]) & m[1])
			h += ones((r[2] ^ s[2]) & m[2])
			h += ones((r[3] ^ s[3]) & m[3])
			h += ones((r[4] ^ s[4]) & m[4])
			h += ones((r[5] ^ s[5]) & m[5])
			// Without a branch: which rows pass is as good as random.
			pass[n&(block-1)] = int32(i)
			n += int(uint(h-hamCut-1) >> 63)
		}
		if collection != 0 {
			k := 0
			for _, i := range pass[:n] {
				if colls[i] == collection {
					pass[k] = i
					k++
				}
			}
			n = k
		}
		for _, i := range pass[:n] {
			r := (*[6]uint64)(bits[6*i:])
			e := 0
			for k := range 6 {
				d := r[k] ^ s[k]
				e += ones(d & p[4*k])
				e += ones(d&p[4*k+1]) << 1
				e += ones(d&p[4*k+2]) << 2
				e += ones(d&p[4*k+3]) << 3
			}
			out.add(i, e)
		}
	}
}

// distCut is the smallest distance within which at least keep of the
// scanned rows lie (every row when fewer).
func distCut(parts []scanned, keep int) int {
	if len(parts) == 0 {
		return 0
	}
	acc := 0
	for d := range parts[0].hist {
		for _, p := range parts {
			acc += p.hist[d]
		}
		if acc >= keep {
			return d
		}
	}
	return len(parts[0].hist) - 1
}

// rowScore is a row with its int8 score.
type rowScore struct {
	row   int32
	score float32
}

// nearestScanned rescores, with the int8 codes, the scanned rows within
// the distance that keeps about keep of them, and returns the best n, best
// first. Each part is rescored on its own core.
func (v *vecs) nearestScanned(q []float32, parts []scanned, keep, n int) []rowScore {
	cut := distCut(parts, keep)
	best := make([][]rowScore, len(parts))
	inParts(len(parts), 1, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			best[p] = v.rescoreWithin(q, parts[p], cut, n)
		}
	})
	out := slices.Concat(best...)
	slices.SortFunc(out, func(a, b rowScore) int { return cmp.Compare(b.score, a.score) })
	return out[:min(n, len(out))]
}

// rescoreWithin scores the rows of s within cut and keeps the best n.
func (v *vecs) rescoreWithin(q []float32, s scanned, cut, n int) []rowScore {
	rows := make([]int32, 0, len(s.rows)/4)
	for i, d := range s.dist {
		if int(d) <= cut {
			rows = append(rows, s.rows[i])
		}
	}
	scores := make([]float32, len(rows))
	// Four rows at a time: their cache misses overlap, and each query
	// component is loaded once for the four.
	i := 0
	for ; i+4 <= len(rows); i += 4 {
		scores[i], scores[i+1], scores[i+2], scores[i+3] = dotCodes4(q,
			v.code(int(rows[i])), v.code(int(rows[i+1])), v.code(int(rows[i+2])), v.code(int(rows[i+3])))
	}
	for ; i < len(rows); i++ {
		scores[i] = dotCodes(q, v.code(int(rows[i])))
	}
	for i, r := range rows {
		scores[i] *= v.scales[r]
	}
	top := topIndices(scores, n)
	out := make([]rowScore, len(top))
	for i, t := range top {
		out[i] = rowScore{rows[t], scores[t]}
	}
	return out
}

// dotCodes4 is q·a, q·b, q·c and q·d.
func dotCodes4(q []float32, a, b, c, d []int8) (float32, float32, float32, float32) {
	a, b, c, d = a[:len(q)], b[:len(q)], c[:len(q)], d[:len(q)]
	var s0, s1, s2, s3 float32
	for i, x := range q {
		s0 += x * float32(a[i])
		s1 += x * float32(b[i])
		s2 += x * float32(c[i])
		s3 += x * float32(d[i])
	}
	return s0, s1, s2, s3
}
