package search

import (
	"context"
	"encoding/binary"
	"math/bits"
	"runtime"
	"sync"
)

// BinaryIndex keeps every chunk's sign bits in memory and finds the
// nearest by Hamming distance. sqlite-vec's KNN keeps its top k with a cost
// that grows with k (a 1,000-candidate shortlist over 100,000 vectors took
// 290 ms), while a shortlist has to be hundreds long to rescore well; a
// linear popcount scan here costs a few milliseconds per million vectors
// and 48 bytes a chunk at 384 dimensions.
type BinaryIndex struct {
	load func(ctx context.Context, fn func(id, collection int64, bits []byte)) error

	mu     sync.RWMutex
	loaded bool
	words  int // uint64 words per vector
	ids    []int64
	colls  []int64
	data   []uint64
}

// NewBinaryIndex makes an index that loads itself with load on first use.
func NewBinaryIndex(load func(ctx context.Context, fn func(id, collection int64, bits []byte)) error) *BinaryIndex {
	return &BinaryIndex{load: load}
}

// Invalidate drops the index; the next search reloads it (after deletions
// or a rebuild).
func (x *BinaryIndex) Invalidate() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.loaded, x.ids, x.colls, x.data = false, nil, nil, nil
}

func (x *BinaryIndex) append(id, coll int64, b []byte) {
	w := (len(b) + 7) / 8
	if x.words == 0 {
		x.words = w
	}
	if w != x.words {
		return // another width: ignored until a rebuild invalidates
	}
	var buf [8]byte
	for k := range w {
		n := copy(buf[:], b[8*k:])
		clear(buf[n:])
		x.data = append(x.data, binary.LittleEndian.Uint64(buf[:]))
	}
	x.ids = append(x.ids, id)
	x.colls = append(x.colls, coll)
}

func (x *BinaryIndex) ensure(ctx context.Context) error {
	x.mu.RLock()
	ok := x.loaded
	x.mu.RUnlock()
	if ok {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.loaded {
		return nil
	}
	x.ids, x.colls, x.data, x.words = nil, nil, nil, 0
	if err := x.load(ctx, x.append); err != nil {
		return err
	}
	x.loaded = true
	return nil
}

// Len is the number of vectors held.
func (x *BinaryIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// Shortlist returns the ids of the n vectors nearest to the query's sign
// bits (collection 0: all collections), in no particular order: the caller
// rescores them.
func (x *BinaryIndex) Shortlist(ctx context.Context, query []byte, n int, collection int64) ([]int64, error) {
	if err := x.ensure(ctx); err != nil {
		return nil, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.words == 0 || len(x.ids) == 0 {
		return nil, nil
	}
	q := make([]uint64, x.words)
	var buf [8]byte
	for k := range q {
		if 8*k < len(query) {
			m := copy(buf[:], query[8*k:])
			clear(buf[m:])
			q[k] = binary.LittleEndian.Uint64(buf[:])
		}
	}
	total := len(x.ids)
	dist := make([]uint16, total)
	// Split the scan over the cores.
	parts := min(runtime.GOMAXPROCS(0), max(1, total/50000))
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*total/parts, (p+1)*total/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := x.words
			for i := lo; i < hi; i++ {
				if collection != 0 && x.colls[i] != collection {
					dist[i] = 0xffff
					continue
				}
				row := x.data[i*w : i*w+w]
				d := 0
				for k, v := range row {
					d += bits.OnesCount64(v ^ q[k])
				}
				dist[i] = uint16(d)
			}
		}()
	}
	wg.Wait()
	// Counting select: distances are small integers, so the n-th smallest
	// is found from a histogram in linear time.
	maxD := 64*x.words + 1
	hist := make([]int, maxD+1)
	for _, d := range dist {
		if int(d) <= maxD {
			hist[d]++
		}
	}
	cut, acc := -1, 0
	for d := 0; d <= maxD && acc < n; d++ {
		acc += hist[d]
		cut = d
	}
	out := make([]int64, 0, min(n, total))
	// Strictly nearer than the cut first, then ties at the cut until full.
	for i, d := range dist {
		if int(d) < cut {
			out = append(out, x.ids[i])
		}
	}
	for i, d := range dist {
		if len(out) >= n {
			break
		}
		if int(d) == cut {
			out = append(out, x.ids[i])
		}
	}
	return out, nil
}
