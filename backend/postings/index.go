// Package postings keeps the full-text index's postings in memory and
// answers the common query, an OR of plain words ranked by BM25, with the
// rows and scores FTS5's `MATCH … ORDER BY bm25() LIMIT k` gives, without
// asking SQLite: FTS5 scores every matching row through its virtual-table
// interface, which is most of a query's time.
//
// The postings are read from FTS5's own index (fts5vocab), so the terms
// are FTS5's, stemmed by its Porter stemmer. A query's words are looked up
// by how they are spelled in the text: building, each token FTS5 stored
// is matched with the token at the same position in the row's text, which
// gives every spelling the vault holds and the term FTS5 made of it; a
// word the vault never spells is handed to FTS5's tokenizer. A prefix, a
// filter other than documents, a word FTS5 makes two terms of, or an
// index behind the store (its stamp differs) is answered by FTS5, as
// before; the index is built again in the background.
package postings

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hoardvault/hoard/backend/store"
)

// Source is the full-text index as the store reads it.
type Source interface {
	LexicalStamp(ctx context.Context) (string, error)
	ReadLexical(ctx context.Context, row func(store.LexicalRow) error, token func(store.LexicalToken) error) (stamp, rowsStamp string, err error)
	// Terms are the terms FTS5 makes of words (OK: a single one), for
	// query words the build did not see spelled.
	Terms(ctx context.Context, words []string) ([]store.WordTerm, error)
}

// Index is the in-memory postings of one vault. It is safe for concurrent
// use; a search reads an immutable snapshot.
type Index struct {
	src Source
	log *slog.Logger
	// Settle is how long the store must stay unchanged before a stale
	// index is built again (default a second): during an ingest each
	// build would be behind as soon as it ended.
	Settle time.Duration
	// Keep, when set before the first build, derives a value from each
	// row as it is read, kept with the snapshot (its size in bytes is
	// counted in Stats) and answered by Kept: what a consumer would
	// otherwise read and work out from the row's text query after query.
	Keep func(store.LexicalRow) (v any, bytes int)

	cur atomic.Pointer[snapshot]

	mu       sync.Mutex
	life     context.Context // background builds run in it; Close ends it
	stop     context.CancelFunc
	building bool
	done     chan struct{} // closed when the build under way ends
	notUntil time.Time     // no new build before: restFactor times the last build's time after it ended
	lastErr  error
	builds   int
	seen     string    // the latest stamp a search found the index behind
	seenAt   time.Time // when it was first seen
}

// New makes an index over src; nothing is read until Start or a search.
func New(src Source, log *slog.Logger) *Index {
	if log == nil {
		log = slog.Default()
	}
	life, stop := context.WithCancel(context.Background())
	return &Index{src: src, log: log, life: life, stop: stop, Settle: time.Second}
}

// Start builds the index in the background, if it is not built or being
// built.
func (x *Index) Start() { x.startBuild(true) }

// Close stops a build under way; searches are then answered by FTS5.
func (x *Index) Close() {
	x.stop()
	x.mu.Lock()
	done := x.done
	x.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Wait waits for the build under way, if any, and reports why the last
// build failed.
func (x *Index) Wait(ctx context.Context) error {
	x.mu.Lock()
	done := x.done
	x.mu.Unlock()
	if done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.lastErr
}

// Stats describe the built index.
type Stats struct {
	Rows, Terms, Postings, Spellings int
	Kept                             int   // rows with a value of Keep
	Bytes                            int64 // held in memory, estimated from the arrays and maps
	Builds                           int   // builds finished since New
}

// Stats of the current snapshot (zero before the first build).
func (x *Index) Stats() Stats {
	x.mu.Lock()
	n := x.builds
	x.mu.Unlock()
	s := x.cur.Load()
	if s == nil {
		return Stats{Builds: n}
	}
	st := s.stats()
	st.Builds = n
	return st
}

// behind notes that the store is at stamp, ahead of the index, and builds
// again once it has stayed there for Settle.
func (x *Index) behind(stamp string) {
	x.mu.Lock()
	if stamp != x.seen {
		x.seen, x.seenAt = stamp, time.Now()
	}
	settled := time.Since(x.seenAt) >= x.Settle
	x.mu.Unlock()
	if settled {
		x.startBuild(false)
	}
}

// startBuild starts a background build unless one runs, or (when not
// forced) one ended too recently.
func (x *Index) startBuild(force bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.building || x.life.Err() != nil || !force && time.Now().Before(x.notUntil) {
		return
	}
	x.building = true
	done := make(chan struct{})
	x.done = done
	go func() {
		defer close(done)
		t := time.Now()
		s, err := build(x.life, x.src, x.Keep)
		took := time.Since(t)
		x.mu.Lock()
		defer x.mu.Unlock()
		x.building, x.lastErr = false, err
		x.notUntil = time.Now().Add(restFactor * took)
		if err != nil {
			if x.life.Err() == nil {
				x.log.Warn("in-memory full-text index not built: searches use FTS5", "err", err)
			}
			return
		}
		x.cur.Store(s)
		x.builds++
		st := s.stats()
		x.log.Debug("in-memory full-text index built", "rows", st.Rows, "terms", st.Terms, "postings", st.Postings, "bytes", st.Bytes, "took", took)
	}()
}

// restFactor bounds how much of a core rebuilding takes in a vault that
// keeps changing (a watched folder saved every few seconds): after a build
// none starts for restFactor times as long as it took, so builds take at
// most a tenth of the time; FTS5 answers meanwhile.
const restFactor = 9

// snapshot is one build of the index, never changed once published.
type snapshot struct {
	stamp string
	// rowsStamp is the store's ChunkRowsStamp as the rows were read: what
	// Keep derived from a row's Meta stands while the store's stays so.
	rowsStamp string
	chunks    []int64   // chunk id of each row, ascending
	norm      []float64 // BM25's length normalization of each row, k1·(1 − b + b·|D|/avgdl)
	byDoc     map[int64][]uint32
	rows      float64
	// Term t's postings are post[start[t]:start[t+1]] (rows, ascending)
	// with their counts tf[...]: title<<24 | heading<<16 | body. A count
	// too large to pack is tfBig, and kept in big.
	start []uint32
	skip  []uint32 // where posting k·skipEvery's positions begin in pos
	post  []uint32
	tf    []uint32
	big   map[uint32][3]uint32
	// pos is every token's position in its column, in the order of the
	// postings and, within one, by column (as the counts say) and
	// position: phrases are matched on them. noPos: a column too long to
	// hold positions in 16 bits; phrases go to FTS5.
	pos   []uint16
	noPos bool
	// words maps a spelling (lower-cased) to its term; ambiguous: FTS5
	// made two terms of it (folding this package does not copy).
	words map[string]int32
	terms map[string]int32 // FTS5's terms

	kept      []any // Keep's value of each row
	keptBytes int64

	// learnt are query words the text never spells, with the term FTS5
	// matches them by (Source.Term), or none.
	mu     sync.Mutex
	learnt map[string]int32
}

const (
	tfBig     = math.MaxUint32
	ambiguous = -1
	none      = -2        // a word that matches no row
	k1, b     = 1.2, 0.75 // FTS5's bm25()
)

func (s *snapshot) stats() Stats {
	st := Stats{Rows: len(s.chunks), Terms: len(s.start) - 1, Postings: len(s.post), Spellings: len(s.words), Kept: len(s.kept)}
	st.Bytes = int64(len(s.chunks))*(8+8) + int64(len(s.start)+len(s.skip)+len(s.post)+len(s.tf))*4 + int64(len(s.big))*24 + int64(len(s.pos))*2
	for w := range s.words {
		st.Bytes += int64(len(w)) + 16 + 4 + 8 // the key's bytes and header, the value, a map slot's share
	}
	for w := range s.terms {
		st.Bytes += int64(len(w)) + 16 + 4 + 8
	}
	for _, rows := range s.byDoc {
		st.Bytes += 8 + 24 + int64(len(rows))*4
	}
	st.Bytes += int64(len(s.kept))*16 + s.keptBytes
	return st
}

// build reads the store's full-text index into a snapshot.
func build(ctx context.Context, src Source, keep func(store.LexicalRow) (any, int)) (*snapshot, error) {
	s := &snapshot{byDoc: map[int64][]uint32{}, big: map[uint32][3]uint32{}, words: map[string]int32{}, terms: map[string]int32{}, learnt: map[string]int32{}}
	rowOf := map[int64]uint32{}
	// Keep runs beside the reading, on another core, in row order.
	var kept chan store.LexicalRow
	keeping := make(chan struct{})
	if keep != nil {
		kept = make(chan store.LexicalRow, 256)
		go func(rows <-chan store.LexicalRow) {
			defer close(keeping)
			for r := range rows {
				v, size := keep(r)
				s.kept, s.keptBytes = append(s.kept, v), s.keptBytes+int64(size)
			}
		}(kept)
	} else {
		close(keeping)
	}
	stopKeeping := func() {
		if kept != nil {
			close(kept)
			kept = nil
		}
		<-keeping
	}
	defer stopKeeping()
	type column struct {
		text  string
		spans []uint32 // token starts and ends, when the text splits into as many tokens as FTS5 counted
	}
	var cols []column // row*3 + column
	var lengths []int
	var total int
	row := func(r store.LexicalRow) error {
		if n := len(s.chunks); n > 0 && r.ChunkID <= s.chunks[n-1] {
			return fmt.Errorf("full-text rows out of order at chunk %d", r.ChunkID)
		}
		i := uint32(len(s.chunks))
		rowOf[r.ChunkID] = i
		s.chunks = append(s.chunks, r.ChunkID)
		if r.DocID != 0 {
			s.byDoc[r.DocID] = append(s.byDoc[r.DocID], i)
		}
		n := 0
		for c, text := range [3]string{r.Title, r.Heading, r.Body} {
			var spans []uint32
			eachToken(text, func(start, end int) { spans = append(spans, uint32(start), uint32(end)) })
			if len(spans) != 2*r.Sizes[c] {
				spans = nil // not split as FTS5 split it: no spellings learnt here
			}
			cols = append(cols, column{text: text, spans: spans})
			n += r.Sizes[c]
		}
		lengths = append(lengths, n)
		total += n
		if kept != nil {
			kept <- r
		}
		return nil
	}
	var (
		term    = int32(-1)
		last    string
		prevRow = int64(-1)
		counts  [3]uint32
		buf     []byte
	)
	flush := func() {
		if prevRow < 0 {
			return
		}
		p := uint32(len(s.post))
		s.post = append(s.post, uint32(prevRow))
		if counts[0] < 256 && counts[1] < 256 && counts[2] < 1<<16 {
			s.tf = append(s.tf, counts[0]<<24|counts[1]<<16|counts[2])
		} else {
			s.tf = append(s.tf, tfBig)
			s.big[p] = counts
		}
		counts, prevRow = [3]uint32{}, -1
	}
	token := func(t store.LexicalToken) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, ok := rowOf[t.Chunk]
		if !ok {
			return fmt.Errorf("full-text token of chunk %d, which has no row", t.Chunk)
		}
		if t.Term != last || term < 0 {
			flush()
			last = t.Term
			term++
			s.terms[last] = term
			s.start = append(s.start, uint32(len(s.post)))
		}
		if int64(r) != prevRow {
			flush()
			prevRow = int64(r)
		}
		counts[t.Column]++
		if t.Offset > math.MaxUint16 {
			s.noPos = true
		}
		s.pos = append(s.pos, uint16(t.Offset))
		col := &cols[int(r)*3+t.Column]
		if 2*t.Offset < len(col.spans) {
			start, end := col.spans[2*t.Offset], col.spans[2*t.Offset+1]
			buf = key(buf, col.text[start:end])
			if have, ok := s.words[string(buf)]; !ok {
				s.words[string(buf)] = term
			} else if have != term {
				s.words[string(buf)] = ambiguous
			}
		}
		return nil
	}
	stamp, rowsStamp, err := src.ReadLexical(ctx, row, token)
	stopKeeping()
	if err != nil {
		return nil, err
	}
	flush()
	s.start = append(s.start, uint32(len(s.post)))
	if len(s.pos) > math.MaxUint32 {
		s.noPos = true
	}
	s.skip = make([]uint32, 0, len(s.post)/skipEvery+1)
	var at uint32
	for p := range s.post {
		if p%skipEvery == 0 {
			s.skip = append(s.skip, at)
		}
		c := s.counts(uint32(p))
		at += c[0] + c[1] + c[2]
	}
	s.stamp, s.rowsStamp = stamp, rowsStamp
	s.rows = float64(len(s.chunks))
	avgdl := float64(total) / s.rows
	s.norm = make([]float64, len(lengths))
	for i, n := range lengths {
		s.norm[i] = k1 * (1 - b + b*float64(n)/avgdl)
	}
	return s, nil
}

// View is the index as one query sees it: the snapshot current at the
// stamp the query read, so a query reads the store's stamp once however
// many times it asks the index. The zero View (no snapshot, or one behind
// the store) answers nothing: ok is false, and the caller asks FTS5.
type View struct {
	x *Index
	s *snapshot
}

// At is the view at the store's stamp (as LexicalStamp reads it).
func (x *Index) At(stamp string) View {
	s := x.cur.Load()
	switch {
	case s == nil:
		x.startBuild(false)
		return View{}
	case stamp != s.stamp:
		x.behind(stamp)
		return View{}
	}
	return View{x: x, s: s}
}

// Kept looks up Keep's value of a chunk in the current snapshot (nil for
// a chunk it does not hold). ok is false when there is no snapshot, or it
// is behind the store: the values would be of rows that have since
// changed. A query asks once and looks up its candidates.
func (x *Index) Kept(ctx context.Context) (lookup func(chunk int64) any, ok bool, err error) {
	v, err := x.view(ctx)
	if err != nil {
		return nil, false, err
	}
	lookup, ok = v.Kept()
	return lookup, ok, nil
}

// RowsBehind notes that the store's ChunkRowsStamp is rows, past the one
// the snapshot's rows were read under (View.RowsStamp) while its text is
// current: the index is built again once the store settles, as when it
// is behind.
func (x *Index) RowsBehind(rows string) { x.behind("rows " + rows) }

// RowsStamp is the store's ChunkRowsStamp when the view's rows were read
// ("" with no snapshot).
func (v View) RowsStamp() string {
	if v.s == nil {
		return ""
	}
	return v.s.rowsStamp
}

// Kept is Index.Kept in the view.
func (v View) Kept() (lookup func(chunk int64) any, ok bool) {
	s := v.s
	if s == nil || s.kept == nil {
		return nil, false
	}
	return func(chunk int64) any {
		if r, found := slices.BinarySearch(s.chunks, chunk); found {
			return s.kept[r]
		}
		return nil
	}, true
}

// Query is an OR of words and phrases, as FTS5 reads
// `("w1" OR "w2 w3" …) NOT "x" …`.
type Query struct {
	Terms    []string // FTS5 strings: a word, or words that must stand in a row
	Excluded []string // rows holding any of these are left out
	Weights  [3]float64
	Docs     []int64 // only rows of these documents (nil: every row)
}

// Search returns the k rows FTS5 would rank first for q, best first, with
// FTS5's bm25() (lower is better). ok is false when the index cannot
// answer as FTS5 would (see the package comment): the caller asks FTS5.
func (x *Index) Search(ctx context.Context, q Query, k int) (matches []store.Match, ok bool, err error) {
	v, err := x.view(ctx)
	if err != nil {
		return nil, false, err
	}
	return v.Search(ctx, q, k)
}

// Search is Index.Search in the view.
func (v View) Search(ctx context.Context, q Query, k int) (matches []store.Match, ok bool, err error) {
	if v.s == nil {
		return nil, false, nil
	}
	return v.x.search(ctx, v.s, q, k)
}

// view is the view at the store's stamp as it stands now.
func (x *Index) view(ctx context.Context) (View, error) {
	if x.cur.Load() == nil {
		x.startBuild(false)
		return View{}, nil
	}
	stamp, err := x.src.LexicalStamp(ctx)
	if err != nil {
		return View{}, err
	}
	return x.At(stamp), nil
}

// Count is the number of rows FTS5 matches for one word or phrase (its
// quoted form): what ranking needs of a term's rarity, without asking
// FTS5 to count them. ok is false when the index cannot tell as FTS5
// would; the caller asks FTS5.
func (x *Index) Count(ctx context.Context, phrase string) (n int64, ok bool, err error) {
	v, err := x.view(ctx)
	if err != nil {
		return 0, false, err
	}
	return v.Count(ctx, phrase)
}

// Count is Index.Count in the view.
func (v View) Count(ctx context.Context, phrase string) (n int64, ok bool, err error) {
	s := v.s
	if s == nil {
		return 0, false, nil
	}
	ts, ok, err := v.x.phrasesOf(ctx, s, []string{phrase})
	if !ok || err != nil {
		return 0, false, err
	}
	switch {
	case len(ts) == 0: // a word that matches no row
		return 0, true, nil
	case len(ts[0]) == 1:
		t := ts[0][0]
		return int64(s.start[t+1] - s.start[t]), true, nil
	}
	return int64(len(s.phrase(ts[0]).rows)), true, nil
}

// phrasesOf looks up each string's tokens. A phrase with a word that
// matches no row is left out: it adds to no row's score. ok is false if
// a word's term cannot be told, or a phrase needs positions the index
// lacks.
func (x *Index) phrasesOf(ctx context.Context, s *snapshot, strs []string) ([][]int32, bool, error) {
	phrases := make([][]spelling, 0, len(strs))
	var buf []byte
	var ask []spelling // the build did not see them: FTS5 is asked for all at once
	for _, str := range strs {
		var ws []spelling
		eachToken(str, func(start, end int) {
			buf = key(buf, str[start:end])
			ws = append(ws, spelling{string(buf), str[start:end]})
		})
		if len(ws) == 0 || len(ws) > 1 && s.noPos {
			return nil, false, nil
		}
		for _, w := range ws {
			if _, ok := s.termOf(w.key); !ok && !slices.Contains(ask, w) {
				ask = append(ask, w)
			}
		}
		phrases = append(phrases, ws)
	}
	if err := x.learn(ctx, s, ask); err != nil {
		return nil, false, err
	}
	out := make([][]int32, 0, len(strs))
	for _, ws := range phrases {
		ts := make([]int32, 0, len(ws))
		for _, w := range ws {
			t, ok := s.termOf(w.key)
			if !ok || t == ambiguous { // not learnt: the snapshot remembers no more
				return nil, false, nil
			}
			ts = append(ts, t)
		}
		if !slices.Contains(ts, none) {
			out = append(out, ts)
		}
	}
	return out, true, nil
}

// spelling is a query word as written, and its key (lower-cased).
type spelling struct{ key, spelled string }

// termOf is the term of a spelling (lower-cased), as the build saw it or
// FTS5 was asked; ok is false when it is not known yet.
func (s *snapshot) termOf(k string) (int32, bool) {
	if t, ok := s.words[k]; ok {
		return t, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.learnt[k]
	return t, ok
}

// learn asks FTS5's tokenizer for the terms of words the build did not
// see spelled, and remembers them.
func (x *Index) learn(ctx context.Context, s *snapshot, words []spelling) error {
	if len(words) == 0 {
		return nil
	}
	spelled := make([]string, len(words))
	for i, w := range words {
		spelled[i] = w.spelled
	}
	terms, err := x.src.Terms(ctx, spelled)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, wt := range terms {
		t := int32(ambiguous)
		if wt.OK {
			t = none
			if have, ok := s.terms[wt.Term]; ok {
				t = have
			}
		}
		if len(s.learnt) < maxLearnt {
			s.learnt[words[i].key] = t
		}
	}
	return nil
}

// maxLearnt bounds the words a snapshot remembers asking FTS5 about.
const maxLearnt = 100_000

// counts unpacks posting p's counts.
func (s *snapshot) counts(p uint32) [3]uint32 {
	if v := s.tf[p]; v != tfBig {
		return [3]uint32{v >> 24, v >> 16 & 0xff, v & 0xffff}
	}
	return s.big[p]
}

// list is a phrase's rows (ascending) with its count in each column.
type list struct {
	rows   []uint32
	counts [][3]uint32
}

// skipEvery is how many postings apart the snapshot notes where a
// posting's positions begin (skip): a phrase's rarest word leads, and
// the other words' lists are leapt through to its rows, not walked.
const skipEvery = 8

// at is where posting p's positions begin in pos: they are in postings
// order, so it is the nearest noted start plus the counts between.
func (s *snapshot) at(p uint32) uint32 {
	q := p / skipEvery * skipEvery
	at := s.skip[p/skipEvery]
	for ; q < p; q++ {
		c := s.counts(q)
		at += c[0] + c[1] + c[2]
	}
	return at
}

// seek is the first posting in [p, end) whose row is at least r:
// galloping from p, then a binary search.
func (s *snapshot) seek(p, end, r uint32) uint32 {
	if p >= end || s.post[p] >= r {
		return p
	}
	lo, step := p, uint32(1)
	for lo+step < end && s.post[lo+step] < r {
		lo += step
		step *= 2
	}
	hi := min(lo+step, end)
	k, _ := slices.BinarySearch(s.post[lo+1:hi], r)
	return lo + 1 + uint32(k)
}

// phrase finds the rows where the terms stand one after another in one
// column, as FTS5 matches a phrase, counting each start.
func (s *snapshot) phrase(ts []int32) list {
	type cursor struct{ p, end uint32 } // posting, and the term's end
	cur := make([]cursor, len(ts))
	lead := 0
	for j, t := range ts {
		cur[j] = cursor{p: s.start[t], end: s.start[t+1]}
		if cur[j].end-cur[j].p < cur[lead].end-cur[lead].p {
			lead = j
		}
	}
	var out list
	at := make([]uint32, len(ts))
	for l := &cur[lead]; l.p < l.end; l.p++ {
		r := s.post[l.p]
		all := true
		for j := range cur {
			if j == lead {
				continue
			}
			c := &cur[j]
			if c.p = s.seek(c.p, c.end, r); c.p == c.end {
				return out
			}
			if s.post[c.p] != r {
				all = false
			}
		}
		if !all {
			continue
		}
		for j := range cur {
			at[j] = s.at(cur[j].p)
		}
		var found [3]uint32
		// Each term's positions in this row, column by column.
		col := func(j, c int) []uint16 {
			cn := s.counts(cur[j].p)
			from := at[j]
			for k := 0; k < c; k++ {
				from += cn[k]
			}
			return s.pos[from : from+cn[c]]
		}
		for c := range 3 {
			first := col(0, c)
			for _, x := range first {
				ok := true
				for j := 1; j < len(cur) && ok; j++ {
					_, ok = slices.BinarySearch(col(j, c), x+uint16(j))
				}
				if ok {
					found[c]++
				}
			}
		}
		if found != [3]uint32{} {
			out.rows = append(out.rows, r)
			out.counts = append(out.counts, found)
		}
	}
	return out
}

// scratch is one search's per-row accumulators, reused.
type scratch struct {
	score   []float64
	hit     []bool
	touched []uint32
}

var scratchPool sync.Pool

func (x *Index) search(ctx context.Context, s *snapshot, q Query, k int) ([]store.Match, bool, error) {
	phrases, ok, err := x.phrasesOf(ctx, s, q.Terms)
	if !ok || err != nil {
		return nil, false, err
	}
	if len(phrases) == 0 || k <= 0 {
		return nil, true, nil
	}
	excluded, ok, err := x.phrasesOf(ctx, s, q.Excluded)
	if !ok || err != nil {
		return nil, false, err
	}
	sc, _ := scratchPool.Get().(*scratch)
	if sc == nil || len(sc.score) < len(s.chunks) {
		sc = &scratch{score: make([]float64, len(s.chunks)), hit: make([]bool, len(s.chunks))}
	}
	defer func() {
		for _, r := range sc.touched {
			sc.score[r], sc.hit[r] = 0, false
		}
		sc.touched = sc.touched[:0]
		scratchPool.Put(sc)
	}()
	add := func(r uint32, idf, f float64) {
		if !sc.hit[r] {
			sc.hit[r] = true
			sc.touched = append(sc.touched, r)
		}
		sc.score[r] += idf * ((f * (k1 + 1.0)) / (f + s.norm[r]))
	}
	// Phrase at a time, in the query's order, so each row's sum is added
	// up in FTS5's order and comes out the same to the last bit.
	w := q.Weights
	for _, ph := range phrases {
		if len(ph) > 1 {
			l := s.phrase(ph)
			idf := s.idf(len(l.rows))
			for i, r := range l.rows {
				c := l.counts[i]
				add(r, idf, w[0]*float64(c[0])+w[1]*float64(c[1])+w[2]*float64(c[2]))
			}
			continue
		}
		t := ph[0]
		lo, hi := s.start[t], s.start[t+1]
		idf := s.idf(int(hi - lo))
		for p := lo; p < hi; p++ {
			packed := s.tf[p]
			var f float64
			if packed == tfBig {
				c := s.big[p]
				f = w[0]*float64(c[0]) + w[1]*float64(c[1]) + w[2]*float64(c[2])
			} else {
				f = w[0]*float64(packed>>24) + w[1]*float64(packed>>16&0xff) + w[2]*float64(packed&0xffff)
			}
			add(s.post[p], idf, f)
		}
	}
	var allowed map[uint32]bool
	if q.Docs != nil {
		allowed = map[uint32]bool{}
		for _, d := range q.Docs {
			for _, r := range s.byDoc[d] {
				allowed[r] = true
			}
		}
	}
	var out map[uint32]bool
	if len(excluded) > 0 {
		out = map[uint32]bool{}
		for _, ph := range excluded {
			rows := s.post[s.start[ph[0]]:s.start[ph[0]+1]]
			if len(ph) > 1 {
				rows = s.phrase(ph).rows
			}
			for _, r := range rows {
				out[r] = true
			}
		}
	}
	// The k best, ties to the lower chunk id.
	hb := make(best, 0, min(k, len(sc.touched)))
	h := &hb
	for _, r := range sc.touched {
		if allowed != nil && !allowed[r] || out[r] {
			continue
		}
		e := entry{row: r, score: sc.score[r]}
		if h.Len() < k {
			// Filled unboxed, and made a heap once full (heap.Push boxes).
			if *h = append(*h, e); h.Len() == k {
				heap.Init(h)
			}
		} else if worse((*h)[0], e) {
			(*h)[0] = e
			heap.Fix(h, 0)
		}
	}
	// Best first (sorted in place: popping boxed every entry).
	slices.SortFunc(*h, func(a, c entry) int {
		if worse(c, a) {
			return -1
		}
		if worse(a, c) {
			return 1
		}
		return 0
	})
	matches := make([]store.Match, h.Len())
	for i, e := range *h {
		matches[i] = store.Match{ID: s.chunks[e.row], BM25: -1.0 * e.score}
	}
	return matches, true, nil
}

// idf is FTS5's: log((N − n + 0.5) / (n + 0.5)), and 1e-6 where that is
// not above 0.
func (s *snapshot) idf(n int) float64 {
	df := float64(n)
	idf := math.Log((s.rows - df + 0.5) / (df + 0.5))
	if idf <= 0 {
		idf = 1e-6
	}
	return idf
}

type entry struct {
	row   uint32
	score float64
}

// worse reports whether a ranks below c.
func worse(a, c entry) bool {
	if a.score != c.score {
		return a.score < c.score
	}
	return cmp.Compare(a.row, c.row) > 0
}

// best is a min-heap of the best entries so far: the worst on top.
type best []entry

func (h best) Len() int           { return len(h) }
func (h best) Less(i, j int) bool { return worse(h[i], h[j]) }
func (h best) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *best) Push(v any)        { *h = append(*h, v.(entry)) }
func (h *best) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}
