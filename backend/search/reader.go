package search

import (
	"context"
	"strconv"
	"sync"

	"github.com/hoardvault/hoard/backend/store"
)

// Reader is the vault as search reads it; store.SearchView is the one the
// app uses. Search writes no SQL: each method is one read in the store.
type Reader interface {
	lexicalReader
	chunkReader
	vectorReader
	entityReader
}

// lexicalReader is the full-text index.
type lexicalReader interface {
	MatchChunks(ctx context.Context, expr string, weights [3]float64, f store.ChunkFilter, k int) ([]store.Match, error)
	CountMatches(ctx context.Context, expr string) (int64, error)
	LexicalTotals(ctx context.Context) (store.LexicalTotals, error)
}

// chunkReader reads chunks by id or document.
type chunkReader interface {
	SearchChunks(ctx context.Context, ids []int64) ([]store.SearchChunk, error)
	HitTexts(ctx context.Context, ids []int64) (map[int64]store.HitText, error)
	ChunkRowsStamp(ctx context.Context) (string, error)
	FirstPaths(ctx context.Context, docs []int64) (map[int64]string, error)
	ChunksMatching(ctx context.Context, ids []int64, f store.ChunkFilter) (map[int64]bool, error)
	FirstChunks(ctx context.Context, docs []int64) (map[int64]int64, error)
	Neighbours(ctx context.Context, chunkID int64, n int) ([]string, error)
}

// vectorReader is the vector table, for vaults whose vectors are not held
// in memory (VectorIndex).
type vectorReader interface {
	CollectionID(ctx context.Context, name string) (int64, bool, error)
	NearestChunks(ctx context.Context, cfg store.VectorConfig, q []float32, k int, collection string) ([]store.Neighbour, error)
}

// entityReader is the entity index written at ingest.
type entityReader interface {
	EntitySignature(ctx context.Context) (string, error)
	DefinedEntities(ctx context.Context) ([]store.EntityDefiner, error)
	CoMentions(ctx context.Context, chunks []int64, maxMentioners int) ([]store.CoMention, error)
}

// chunkRows are the chunk rows one query has read: rescoring, fusion's
// adjustments, the hops and the hits all look at the same candidates, and
// each row is read from the store once.
type chunkRows struct {
	src  chunkReader
	byID map[int64]*chunkInfo // nil: asked for, and not in the store
	// kept holds rows between queries; nil keeps none. stamp is the
	// store's ChunkRowsStamp, read before any row.
	kept  *rowCache
	stamp string
	// The rows' kept splits (Searcher.keepSplits), when the postings
	// keep them; voc is the query's vocabulary.
	voc    *vocab
	splits func(id int64) *split
	// meta: the kept splits' rows (split.meta) were read under this
	// query's stamp, and serve it without reading the store; their texts
	// are read when a stage needs them (texts).
	meta bool
	// want is how many hits the query asks for.
	want int
}

// split is the chunk's kept split, if there is one numbered by the
// query's vocabulary.
func (r *chunkRows) split(id int64) *split {
	if r.splits == nil {
		return nil
	}
	if sp := r.splits(id); sp != nil && sp.voc == r.voc {
		return sp
	}
	return nil
}

func newChunkRows(src chunkReader) *chunkRows {
	return &chunkRows{src: src, byID: map[int64]*chunkInfo{}}
}

// keptRows are the query's rows, served from kept where the store has
// not changed since they were read.
func keptRows(ctx context.Context, src chunkReader, kept *rowCache) (*chunkRows, error) {
	stamp, err := src.ChunkRowsStamp(ctx)
	if err != nil {
		return nil, err
	}
	r := newChunkRows(src)
	r.kept, r.stamp = kept, stamp
	return r, nil
}

// rowCache keeps candidate rows between queries: most of a keyword
// query's time went to reading its candidates and inflating their
// text (store/packed.go), and successive queries share many of them.
// Every entry was read under one stamp (ChunkRowsStamp: any change to a
// document, its chunks or a collection moves it); a query that sees
// another stamp starts the cache afresh.
type rowCache struct {
	mu    sync.Mutex
	stamp string
	bytes int
	byID  map[int64]*chunkInfo
}

// rowCacheBytes bounds the rows kept (SciFact's 6,305 chunks take about
// 10 MiB); past it, entries are dropped to make room.
const rowCacheBytes = 24 << 20

// older reports whether count stamp a is below b; a stamp that is not a
// count is never older.
func older(a, b string) bool {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	return errA == nil && errB == nil && x < y
}

func rowSize(ci *chunkInfo) int {
	return 320 + len(ci.Title) + len(ci.Heading) + ci.Text.Stored() + ci.Text.Len() + len(ci.MediaType) + len(ci.Collection) + len(ci.Marks)
}

// take moves the kept rows among ids into into and returns the ids it
// does not hold.
func (c *rowCache) take(stamp string, ids []int64, into map[int64]*chunkInfo) []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stamp != stamp {
		return ids
	}
	missing := ids[:0:0]
	for _, id := range ids {
		if ci, ok := c.byID[id]; ok {
			into[id] = ci
		} else {
			missing = append(missing, id)
		}
	}
	return missing
}

// keep adds rows read under stamp. The stamp is a count that only grows
// (migrations 0016 and 0018): rows read under an older stamp than the
// cache's are not kept, and a newer one starts the cache afresh.
func (c *rowCache) keep(stamp string, rows []*chunkInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stamp != stamp || c.byID == nil {
		if older(stamp, c.stamp) {
			return
		}
		c.stamp, c.bytes, c.byID = stamp, 0, map[int64]*chunkInfo{}
	}
	for _, ci := range rows {
		if _, ok := c.byID[ci.ID]; ok {
			continue
		}
		size := rowSize(ci)
		for k, old := range c.byID { // in the map's own, random, order
			if c.bytes+size <= rowCacheBytes {
				break
			}
			c.bytes -= rowSize(old)
			delete(c.byID, k)
		}
		c.byID[ci.ID], c.bytes = ci, c.bytes+size
	}
}

// load points each candidate at its row, reading the rows not read yet.
func (r *chunkRows) load(ctx context.Context, cands []Candidate) error {
	var missing []int64
	for _, c := range cands {
		if _, ok := r.byID[c.ChunkID]; !ok {
			r.byID[c.ChunkID] = nil
			missing = append(missing, c.ChunkID)
		}
	}
	if r.kept != nil && len(missing) > 0 {
		missing = r.kept.take(r.stamp, missing, r.byID)
	}
	if r.meta && len(missing) > 0 {
		rest := missing[:0:0]
		for _, id := range missing {
			if sp := r.split(id); sp != nil && sp.meta != nil {
				// Its text is kept with it (packed), as read in the
				// postings' snapshot; a transcript's word times are read
				// from the store (texts), and the row kept between
				// queries from then.
				r.byID[id] = &chunkInfo{SearchChunk: *sp.meta, unread: sp.meta.Timed || sp.meta.Text.Stored() == 0, rows: r, ctx: ctx}
			} else {
				rest = append(rest, id)
			}
		}
		missing = rest
	}
	if len(missing) > 0 {
		rows, err := r.src.SearchChunks(ctx, missing)
		if err != nil {
			for _, id := range missing {
				delete(r.byID, id) // not known to be gone: asked again next time
			}
			return err
		}
		read := make([]*chunkInfo, len(rows))
		for i := range rows {
			read[i] = &chunkInfo{SearchChunk: rows[i]}
			r.byID[rows[i].ID] = read[i]
		}
		if r.kept != nil {
			r.kept.keep(r.stamp, read)
		}
	}
	for i := range cands {
		ci := r.byID[cands[i].ChunkID]
		cands[i].info = ci
		if sp := r.split(cands[i].ChunkID); sp != nil && ci != nil {
			// What the build worked out from the same text.
			ci.simOnce.Do(func() { ci.sim = sp.sim })
			ci.listOnce.Do(func() { ci.list = sp.list })
			ci.latinOnce.Do(func() { ci.latin = sp.latin })
		}
	}
	return nil
}

// texts reads, in one statement, the texts of the candidates whose rows
// came from memory without them: the stages that read texts (hits, hops,
// feedback) ask for theirs first.
func (r *chunkRows) texts(ctx context.Context, cands []Candidate) error {
	var ids []int64
	var infos []*chunkInfo
	for _, c := range cands {
		if ci := c.info; ci != nil && ci.unread {
			ids, infos = append(ids, ci.ID), append(infos, ci)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	got, err := r.src.HitTexts(ctx, ids)
	if err != nil {
		return err
	}
	kept := infos[:0:0]
	for _, ci := range infos {
		h, ok := got[ci.ID]
		// A chunk deleted since the query began is gone: no hit, as a row
		// the store no longer has.
		ci.Text, ci.Marks, ci.unread, ci.gone = h.Text, h.Marks, false, !ok
		ci.rows, ci.ctx = nil, nil
		if ok {
			kept = append(kept, ci)
		}
	}
	// Whole now, they are kept as rows read from the store are: the next
	// queries that meet them find their texts unpacked.
	if r.kept != nil {
		r.kept.keep(r.stamp, kept)
	}
	return nil
}
