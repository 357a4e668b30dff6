package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"
)

// SearchView is the vault as search reads it: every statement a query runs,
// and nothing that writes. The search package declares the interface it
// needs and is handed one of these (see README.md beside the migrations).
// A value is cheap to copy and safe for concurrent use.
type SearchView struct {
	db    *sql.DB
	dicts *dictionaries
	tok   *tokenizer
	// pin, when set, answers the stamps and the index's totals: the state
	// one query read once at its start (Pinned).
	pin *pinned
}

// pinned are the stamps a pinned view answers.
type pinned struct {
	lexical string // LexicalStamp
	rows    string // ChunkRowsStamp, EntitySignature
	totals  LexicalTotals
}

// Pinned is the view with the vault's stamps read now, in one statement,
// and answered from then on: a query asks for them at several stages
// (whether the in-memory postings, kept rows and entity index still
// stand), and each ask was a statement of its own. The rows it reads are
// read as before, at the time they are asked for.
func (v SearchView) Pinned(ctx context.Context) (SearchView, error) {
	var lex, avg []byte
	var rows sql.NullString
	err := v.db.QueryRowContext(ctx, `SELECT (`+lexicalStampSQL+`), `+averagesSQL+`, (`+entityStampSQL+`)`).Scan(&lex, &avg, &rows)
	if err != nil {
		return v, fmt.Errorf("search stamps: %w", err)
	}
	if !rows.Valid {
		return v, nil // a vault without the count: each stage asks, and is told why not
	}
	v.pin = &pinned{lexical: string(lex), rows: rows.String, totals: lexicalTotals(avg)}
	return v, nil
}

// SearchView returns the read view search runs on.
func (s *Store) SearchView() SearchView { return SearchView{db: s.db, dicts: s.dicts, tok: &s.tok} }

// ChunkFilter narrows the chunks a search reads.
type ChunkFilter struct {
	Collection string    // collection name
	MediaType  string    // full media type ("application/pdf")
	DocIDs     []int64   // only these documents
	Since      time.Time // document date on or after
	Until      time.Time // document date before
}

// documentDate is a document's own date where it gives one (front matter's
// date, an Office or EPUB file's created or date; unixepoch reads ISO 8601),
// else its file's modification time, else when it was added.
const documentDate = `coalesce(
	unixepoch(json_extract(d.metadata, '$.date')),
	unixepoch(json_extract(d.metadata, '$.created')),
	` + fileDate + `)`

// fileDate is a document's file's modification time, else when it was
// added: the date a search row carries (SearchChunk.Date, LexicalRow.Meta).
const fileDate = `CASE WHEN d.mtime > 0 THEN d.mtime ELSE d.created_at END`

// where is the filter as conditions on c (chunks), d (documents) and col
// (collections), joined by AND; "" when it keeps everything.
func (f ChunkFilter) where() (string, []any) {
	var conds []string
	var args []any
	if f.Collection != "" {
		conds = append(conds, "col.name = ?")
		args = append(args, f.Collection)
	}
	if f.MediaType != "" {
		conds = append(conds, "d.media_type = ?")
		args = append(args, f.MediaType)
	}
	if len(f.DocIDs) > 0 {
		marks, ids := inList(f.DocIDs)
		conds = append(conds, "d.id IN ("+marks+")")
		args = append(args, ids...)
	}
	if !f.Since.IsZero() {
		conds = append(conds, documentDate+" >= ?")
		args = append(args, f.Since.Unix())
	}
	if !f.Until.IsZero() {
		conds = append(conds, documentDate+" < ?")
		args = append(args, f.Until.Unix())
	}
	return strings.Join(conds, " AND "), args
}

// inList is the placeholders and arguments of an IN (...) list. Up to
// 1,024 ids the list is padded, with the last id again, to a power of two
// (eight at least): a query's text then repeats, and the connection's
// statement cache (_stmt_cache_size) serves it prepared. Preparing the
// statement was a third of reading a query's candidates.
func inList(ids []int64) (string, []any) {
	n := len(ids)
	if n > 0 && n <= 1024 {
		n = max(8, 1<<bits.Len(uint(n-1)))
	}
	args := make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	return strings.TrimSuffix(strings.Repeat("?,", n), ","), args
}

// Match is a chunk the full-text index found, with FTS5's bm25() (lower is
// better).
type Match struct {
	ID   int64
	BM25 float64
}

// MatchChunks runs one FTS5 expression and returns the k best chunks in the
// filter, weighting the index's columns (title, heading, body) as given.
// Passing the weights to bm25() is faster than a configured rank function.
func (v SearchView) MatchChunks(ctx context.Context, expr string, weights [3]float64, f ChunkFilter, k int) ([]Match, error) {
	where, args := f.where()
	query := fmt.Sprintf(`SELECT rowid, bm25(chunks_fts, %g, %g, %g) AS score FROM chunks_fts WHERE chunks_fts MATCH ?`, weights[0], weights[1], weights[2])
	allArgs := []any{expr}
	if where != "" {
		query += ` AND rowid IN (SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id
			JOIN collections col ON col.id = d.collection_id WHERE ` + where + `)`
		allArgs = append(allArgs, args...)
	}
	query += ` ORDER BY score LIMIT ?`
	allArgs = append(allArgs, k)
	var out []Match
	err := eachRow(ctx, v.db, query, allArgs, func(rows *sql.Rows) error {
		var m Match
		err := rows.Scan(&m.ID, &m.BM25)
		out = append(out, m)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("full-text search: %w", err)
	}
	return out, nil
}

// CountMatches is the number of chunks an FTS5 expression matches.
func (v SearchView) CountMatches(ctx context.Context, expr string) (int64, error) {
	var n int64
	if err := v.db.QueryRowContext(ctx, `SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?`, expr).Scan(&n); err != nil {
		return 0, fmt.Errorf("document frequency: %w", err)
	}
	return n, nil
}

// LexicalTotals are the full-text index's corpus statistics.
type LexicalTotals struct {
	Rows   int64
	Tokens [3]int64 // title, heading, body
}

// LexicalTotals reads the full-text index's averages record: FTS5 keeps
// the row count and each column's token total as varints in row 1 of
// chunks_fts_data, and offers no SQL function that returns them. An empty
// index has no record (all zero).
func (v SearchView) LexicalTotals(ctx context.Context) (LexicalTotals, error) {
	if v.pin != nil {
		return v.pin.totals, nil
	}
	var block []byte
	err := v.db.QueryRowContext(ctx, `SELECT block FROM chunks_fts_data WHERE id = 1`).Scan(&block)
	if errors.Is(err, sql.ErrNoRows) {
		block = nil
	} else if err != nil {
		return LexicalTotals{}, fmt.Errorf("index statistics: %w", err)
	}
	return lexicalTotals(block), nil
}

// lexicalTotals reads FTS5's averages record: the row count, then each
// column's token total.
func lexicalTotals(block []byte) LexicalTotals {
	var vals [4]int64
	for i := 0; len(block) > 0 && i < len(vals); i++ {
		x, n := getVarint(block)
		if n == 0 {
			break
		}
		vals[i] = x
		block = block[n:]
	}
	return LexicalTotals{Rows: vals[0], Tokens: [3]int64{vals[1], vals[2], vals[3]}}
}

// getVarint decodes SQLite's big-endian varint (FTS5 records use it).
func getVarint(b []byte) (int64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		if i == 8 {
			return int64(v<<8 | uint64(b[i])), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i]&0x80 == 0 {
			return int64(v), i + 1
		}
	}
	return 0, 0
}

// SearchChunk is a chunk with what search ranks and cites it by.
type SearchChunk struct {
	ID, DocID  int64
	Ordinal    int
	Title      string // the document's
	Heading    string
	Text       ChunkText // unpacked when asked for
	Page       int
	PageEnd    int
	MediaType  string
	Collection string
	Weight     float64 // the collection's retrieval weight
	Date       int64   // unix seconds: the file's mtime, else when added
	// Timed is set for a transcript passage: TimeStart and TimeEnd are its
	// span in milliseconds, Marks its word times (DecodeMarks).
	Timed              bool
	TimeStart, TimeEnd int64
	Marks              []byte
	// Path is the document's first source's path (FirstPaths), when
	// HasPath; only ReadLexical's rows carry it.
	Path    string
	HasPath bool
}

// HitText is what a hit needs of its chunk beyond what the in-memory
// rows keep (LexicalRow.Meta): its text and word times.
type HitText struct {
	Text  ChunkText
	Marks []byte
}

// HitTexts reads the texts and word times of the chunks; an id with no
// chunk is left out.
func (v SearchView) HitTexts(ctx context.Context, ids []int64) (map[int64]HitText, error) {
	out := make(map[int64]HitText, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	marks, args := inList(ids)
	err := eachRow(ctx, v.db, `SELECT id, text, time_marks FROM chunks WHERE id IN (`+marks+`)`, args, func(rows *sql.Rows) error {
		var id int64
		var h HitText
		if err := rows.Scan(&id, lazyScan{&h.Text, v.dicts}, &h.Marks); err != nil {
			return err
		}
		out[id] = h
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load hit texts: %w", err)
	}
	return out, nil
}

// SearchChunks reads the chunks with these ids, in no particular order;
// an id with no chunk (deleted since it was found) is left out.
func (v SearchView) SearchChunks(ctx context.Context, ids []int64) ([]SearchChunk, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	marks, args := inList(ids)
	out := make([]SearchChunk, 0, len(ids))
	err := eachRow(ctx, v.db, `SELECT c.id, c.document_id, c.ordinal, d.title, c.heading, c.text, c.page_start, c.page_end,
		d.media_type, col.name, col.weight, `+fileDate+`, c.time_start, c.time_end, c.time_marks
		FROM chunks c JOIN documents d ON d.id = c.document_id JOIN collections col ON col.id = d.collection_id
		WHERE c.id IN (`+marks+`)`, args, func(rows *sql.Rows) error {
		var c SearchChunk
		var ts, te sql.NullInt64
		if err := rows.Scan(&c.ID, &c.DocID, &c.Ordinal, &c.Title, &c.Heading, lazyScan{&c.Text, v.dicts}, &c.Page, &c.PageEnd,
			&c.MediaType, &c.Collection, &c.Weight, &c.Date, &ts, &te, &c.Marks); err != nil {
			return err
		}
		c.Timed, c.TimeStart, c.TimeEnd = ts.Valid, ts.Int64, te.Int64
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load candidates: %w", err)
	}
	return out, nil
}

// FirstPaths maps each of the documents to its first source's path (the
// one it was first added from); a document without one is left out. Only
// the hits need it, so it is not read with every candidate's row.
func (v SearchView) FirstPaths(ctx context.Context, docs []int64) (map[int64]string, error) {
	paths := map[int64]string{}
	if len(docs) == 0 {
		return paths, nil
	}
	marks, args := inList(docs)
	// With min(), SQLite takes path from the row that holds the minimum.
	err := eachRow(ctx, v.db, `SELECT document_id, path, min(id) FROM sources WHERE document_id IN (`+marks+`) GROUP BY document_id`, args, func(rows *sql.Rows) error {
		var d, first int64
		var p string
		err := rows.Scan(&d, &p, &first)
		paths[d] = p
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("source paths: %w", err)
	}
	return paths, nil
}

// ChunksMatching reports which of the chunks are in the filter.
func (v SearchView) ChunksMatching(ctx context.Context, ids []int64, f ChunkFilter) (map[int64]bool, error) {
	ok := map[int64]bool{}
	if len(ids) == 0 {
		return ok, nil
	}
	where, fargs := f.where()
	if where == "" {
		where = "1"
	}
	marks, args := inList(ids)
	err := eachRow(ctx, v.db, `SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id
		JOIN collections col ON col.id = d.collection_id WHERE c.id IN (`+marks+`) AND `+where, append(args, fargs...), func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ok[id] = true
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("filter chunks: %w", err)
	}
	return ok, nil
}

// FirstChunks maps each of the documents that has chunks to its first.
func (v SearchView) FirstChunks(ctx context.Context, docs []int64) (map[int64]int64, error) {
	byDoc := map[int64]int64{}
	if len(docs) == 0 {
		return byDoc, nil
	}
	marks, args := inList(docs)
	err := eachRow(ctx, v.db, `SELECT document_id, id FROM chunks WHERE ordinal = 0 AND document_id IN (`+marks+`)`, args, func(rows *sql.Rows) error {
		var d, c int64
		err := rows.Scan(&d, &c)
		byDoc[d] = c
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("first chunks: %w", err)
	}
	return byDoc, nil
}

// Neighbours returns the texts of the chunk and of up to n chunks on each
// side of it in its document, in order.
func (v SearchView) Neighbours(ctx context.Context, chunkID int64, n int) ([]string, error) {
	var out []string
	err := eachRow(ctx, v.db, `SELECT c.text FROM chunks c JOIN chunks h ON h.id = ? AND c.document_id = h.document_id
		WHERE c.ordinal BETWEEN h.ordinal - ? AND h.ordinal + ? ORDER BY c.ordinal`, []any{chunkID, n, n}, func(rows *sql.Rows) error {
		var t string
		err := rows.Scan(chunkText(v.dicts, &t))
		out = append(out, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("neighbours of chunk %d: %w", chunkID, err)
	}
	return out, nil
}

// CollectionID is the id of the named collection; ok is false when there
// is none.
func (v SearchView) CollectionID(ctx context.Context, name string) (id int64, ok bool, err error) {
	err = v.db.QueryRowContext(ctx, `SELECT id FROM collections WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("collection %q: %w", name, err)
	}
	return id, true, nil
}

// Neighbour is a chunk found by vector search, with its distance (lower is
// nearer).
type Neighbour struct {
	ID       int64
	Distance float64
}

// NearestChunks is sqlite-vec's KNN over the int8 or float vectors, as the
// configuration keeps them (cfg.KNNForm), in the collection ("": all),
// nearest first. Vectors kept as sign bits alone are searched in memory
// (search.VectorIndex), not here.
func (v SearchView) NearestChunks(ctx context.Context, cfg VectorConfig, q []float32, k int, collection string) ([]Neighbour, error) {
	var match string
	var blob []byte
	switch cfg.KNNForm() {
	case FormBit:
		return nil, errors.New("vector search: vectors kept with sign bits need the in-memory vector index")
	case FormInt8:
		match, blob = `emb_int8 MATCH vec_int8(?)`, Int8Blob(q, cfg.Int8Factor())
	default:
		match, blob = `emb_float MATCH vec_f32(?)`, Float32Blob(q)
	}
	where, args := "", []any{blob, k}
	if collection != "" {
		where, args = ` AND collection_id = (SELECT id FROM collections WHERE name = ?)`, append(args, collection)
	}
	var out []Neighbour
	err := eachRow(ctx, v.db, `SELECT rowid, distance FROM chunk_vectors WHERE `+match+` AND k = ?`+where+` ORDER BY distance`, args, func(rows *sql.Rows) error {
		var n Neighbour
		err := rows.Scan(&n.ID, &n.Distance)
		out = append(out, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	return out, nil
}

// entityStampSQL reads the count of changes to documents and collections
// (migrations 0016 and 0018) without reading them.
const entityStampSQL = `SELECT value FROM settings WHERE key = 'document_changes'`

// ChunkRowsStamp changes whenever anything SearchChunks reads may have:
// a document, its chunks (written with it) or a collection. Search keeps
// the rows it read while it stays put; it is the same count the entity
// index follows.
func (v SearchView) ChunkRowsStamp(ctx context.Context) (string, error) {
	return v.EntitySignature(ctx)
}

// EntitySignature changes whenever a document is added, removed or
// changed: the entity index search keeps in memory is loaded again when
// it does. It is read on every query, so it reads one setting, which
// triggers keep.
func (v SearchView) EntitySignature(ctx context.Context) (string, error) {
	if v.pin != nil {
		return v.pin.rows, nil
	}
	var sig string
	err := v.db.QueryRowContext(ctx, entityStampSQL).Scan(&sig)
	if err != nil {
		return "", fmt.Errorf("entity index: %w", err)
	}
	return sig, nil
}

// EntityDefiner is a document that defines an entity (by its title or a
// heading).
type EntityDefiner struct {
	Name  string // normalized
	DocID int64
}

// DefinedEntities lists every entity an indexed document defines.
func (v SearchView) DefinedEntities(ctx context.Context) ([]EntityDefiner, error) {
	// Kind 1: the chunk defines the entity (entity.Defines).
	var out []EntityDefiner
	err := eachRow(ctx, v.db, `SELECT DISTINCT en.name, c.document_id FROM entity_refs r
		JOIN entities en ON en.id = r.entity_id JOIN chunks c ON c.id = r.chunk_id
		JOIN documents d ON d.id = c.document_id
		WHERE r.kind = 1 AND d.status = 'indexed'`, nil, func(rows *sql.Rows) error {
		var e EntityDefiner
		err := rows.Scan(&e.Name, &e.DocID)
		out = append(out, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("entity index: %w", err)
	}
	return out, nil
}

// CoMention is a document whose chunk names an entity that one of the
// asked chunks names too.
type CoMention struct {
	ChunkID int64 // the asked chunk
	DocID   int64 // the other chunk's document
	Name    string
}

// CoMentions finds, for the chunks, the other chunks that mention an
// entity they mention, where the entity is mentioned in at most
// maxMentioners chunks in all (rarer names link passages; common ones
// link everything).
func (v SearchView) CoMentions(ctx context.Context, chunks []int64, maxMentioners int) ([]CoMention, error) {
	if len(chunks) == 0 {
		return nil, nil
	}
	marks, args := inList(chunks)
	// Kind 2: the chunk mentions the entity (entity.Mentions).
	var out []CoMention
	err := eachRow(ctx, v.db, `SELECT r1.chunk_id, c2.document_id, en.name FROM entity_refs r1
		JOIN entities en ON en.id = r1.entity_id
		JOIN entity_refs r2 ON r2.entity_id = r1.entity_id AND r2.chunk_id != r1.chunk_id
		JOIN chunks c2 ON c2.id = r2.chunk_id
		WHERE r1.chunk_id IN (`+marks+`) AND r1.kind = 2
		AND (SELECT count(*) FROM entity_refs r3 WHERE r3.entity_id = r1.entity_id) <= ?`, append(args, maxMentioners), func(rows *sql.Rows) error {
		var m CoMention
		err := rows.Scan(&m.ChunkID, &m.DocID, &m.Name)
		out = append(out, m)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("co-mentions: %w", err)
	}
	return out, nil
}
