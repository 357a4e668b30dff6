package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// lexicalStampSQL reads LexicalStamp.
const (
	averagesSQL     = `coalesce((SELECT block FROM chunks_fts_data WHERE id = 1), x'')`
	lexicalStampSQL = `SELECT ` + averagesSQL + ` || x'00' || coalesce((SELECT block FROM chunks_fts_data WHERE id = 10), x'')`
)

// LexicalStamp is the full-text index's state, read without reading the
// index: FTS5's averages record (row count and token totals) and its
// structure record, which FTS5 writes again, with a new cookie, on every
// change to the index. Equal stamps, equal index.
func (v SearchView) LexicalStamp(ctx context.Context) (string, error) {
	if v.pin != nil {
		return v.pin.lexical, nil
	}
	var stamp []byte
	err := v.db.QueryRowContext(ctx, lexicalStampSQL).Scan(&stamp)
	if err != nil {
		return "", fmt.Errorf("full-text stamp: %w", err)
	}
	return string(stamp), nil
}

// LexicalRow is one row of the full-text index as it was indexed: the
// chunk's columns (the document's title, the chunk's heading and text)
// and FTS5's count of each column's tokens.
type LexicalRow struct {
	ChunkID, DocID       int64
	Title, Heading, Body string
	Sizes                [3]int
	// Meta is the row as SearchChunks reads it, its text as stored
	// (packed: unpacked when a hit needs it), without its word times, and
	// with its document's first path; nil for a row whose chunk is gone.
	// It stands while the stamp ReadLexical returns as rows does
	// (ChunkRowsStamp).
	Meta *SearchChunk
}

// LexicalToken is one token of the full-text index, as FTS5 stored it
// (lower-cased, stemmed): in which row, column (0 title, 1 heading, 2
// body) and at which token position.
type LexicalToken struct {
	Term   string
	Chunk  int64
	Column int
	Offset int
}

// ReadLexical reads the whole full-text index in one snapshot: every row
// in id order (a row whose chunk is gone has no text and document 0), then every token, ordered by term, row, column and
// position (FTS5's own order), and returns the stamps of what it read:
// LexicalStamp's, and ChunkRowsStamp's, which the rows' Meta stands by.
// An in-memory index is built from it.
func (v SearchView) ReadLexical(ctx context.Context, row func(LexicalRow) error, token func(LexicalToken) error) (stamp, rowsStamp string, err error) {
	conn, err := v.db.Conn(ctx)
	if err != nil {
		return "", "", fmt.Errorf("read full-text index: %w", err)
	}
	defer conn.Close()
	// fts5vocab lists the tokens of an FTS5 table; a temporary one is
	// the connection's own and writes nothing to the vault.
	if _, err := conn.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_fts_tokens USING fts5vocab(main, chunks_fts, instance)`); err != nil {
		return "", "", fmt.Errorf("read full-text index: %w", err)
	}
	defer func() {
		// With a cancelled ctx the statement would not run.
		_, derr := conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.chunks_fts_tokens`)
		err = errors.Join(err, derr)
	}()
	// A deferred transaction is a read snapshot (the vault's _txlock
	// would make BeginTx take the write lock).
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return "", "", fmt.Errorf("read full-text index: %w", err)
	}
	defer func() {
		_, rerr := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		err = errors.Join(err, rerr)
	}()
	var raw []byte
	if err := conn.QueryRowContext(ctx, lexicalStampSQL).Scan(&raw); err != nil {
		return "", "", fmt.Errorf("full-text stamp: %w", err)
	}
	// The columns as the store gave them to FTS5 (batch.go): the
	// document's title, the chunk's heading and its text, unpacked.
	// The rows' stamp, read in the same snapshot: "" in a vault without
	// the count, whose rows' Meta then never stands.
	if err := conn.QueryRowContext(ctx, `SELECT coalesce((`+entityStampSQL+`), '')`).Scan(&rowsStamp); err != nil {
		return "", "", fmt.Errorf("document stamp: %w", err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT z.id, coalesce(c.document_id, 0), coalesce(d.title, ''), coalesce(c.heading, ''), c.text, z.sz,
		c.id IS NOT NULL AND d.id IS NOT NULL AND col.id IS NOT NULL, coalesce(c.ordinal, 0), coalesce(c.page_start, 0), coalesce(c.page_end, 0),
		coalesce(d.media_type, ''), coalesce(col.name, ''), coalesce(col.weight, 0), coalesce(`+fileDate+`, 0),
		c.time_start, c.time_end, (SELECT s.path FROM sources s WHERE s.document_id = d.id ORDER BY s.id LIMIT 1)
		FROM chunks_fts_docsize z LEFT JOIN chunks c ON c.id = z.id LEFT JOIN documents d ON d.id = c.document_id
		LEFT JOIN collections col ON col.id = d.collection_id ORDER BY z.id`)
	if err != nil {
		return "", "", fmt.Errorf("full-text rows: %w", err)
	}
	// Rows repeat their media type and collection: one string each.
	interned := map[string]string{}
	intern := func(s string) string {
		if t, ok := interned[s]; ok {
			return t
		}
		interned[s] = s
		return s
	}
	for rows.Next() {
		var r LexicalRow
		var sz []byte
		var m SearchChunk
		var whole bool
		var ts, te sql.NullInt64
		var path sql.NullString
		var body ChunkText
		if err := rows.Scan(&r.ChunkID, &r.DocID, &r.Title, &r.Heading, lazyScan{&body, v.dicts}, &sz,
			&whole, &m.Ordinal, &m.Page, &m.PageEnd, &m.MediaType, &m.Collection, &m.Weight, &m.Date, &ts, &te, &path); err != nil {
			rows.Close()
			return "", "", fmt.Errorf("full-text rows: %w", err)
		}
		if r.Body, err = body.Unpack(); err != nil {
			rows.Close()
			return "", "", fmt.Errorf("full-text rows: chunk %d: %w", r.ChunkID, err)
		}
		if whole {
			m.Text = body
			m.ID, m.DocID, m.Title, m.Heading = r.ChunkID, r.DocID, r.Title, r.Heading
			m.MediaType, m.Collection = intern(m.MediaType), intern(m.Collection)
			m.Timed, m.TimeStart, m.TimeEnd = ts.Valid, ts.Int64, te.Int64
			m.Path, m.HasPath = path.String, path.Valid
			r.Meta = &m
		}
		for i := range r.Sizes {
			x, n := getVarint(sz)
			if n == 0 {
				break
			}
			r.Sizes[i], sz = int(x), sz[n:]
		}
		if err := row(r); err != nil {
			rows.Close()
			return "", "", err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", "", fmt.Errorf("full-text rows: %w", err)
	}
	toks, err := conn.QueryContext(ctx, `SELECT term, doc, col, offset FROM temp.chunks_fts_tokens`)
	if err != nil {
		return "", "", fmt.Errorf("full-text tokens: %w", err)
	}
	defer toks.Close()
	var t LexicalToken
	var term, col sql.RawBytes
	var offset int64 // scanned as the driver's own type: no conversion a row
	last := ""
	for toks.Next() {
		if err := toks.Scan(&term, &t.Chunk, &col, &offset); err != nil {
			return "", "", fmt.Errorf("full-text tokens: %w", err)
		}
		t.Offset = int(offset)
		// Rows come term by term: the string is made once a term.
		if string(term) != last {
			last = string(term)
		}
		t.Term = last
		switch string(col) {
		case "title":
			t.Column = 0
		case "heading":
			t.Column = 1
		case "body":
			t.Column = 2
		default:
			return "", "", fmt.Errorf("full-text tokens: unknown column %q", col)
		}
		if err := token(t); err != nil {
			return "", "", err
		}
	}
	if err := toks.Err(); err != nil {
		return "", "", fmt.Errorf("full-text tokens: %w", err)
	}
	return string(raw), rowsStamp, nil
}

// ftsTokenizer is chunks_fts's tokenizer (migration 0015).
const ftsTokenizer = `porter unicode61 remove_diacritics 2`

// WordTerm is the term the full-text index makes of a word; OK is false
// when the word is not one term.
type WordTerm struct {
	Term string
	OK   bool
}

// Terms are the terms the full-text index makes of words: each word is
// indexed, as its own row, in a temporary table with chunks_fts's
// tokenizer, and read back from its vocabulary (see tokenizer).
func (v SearchView) Terms(ctx context.Context, words []string) ([]WordTerm, error) {
	out := make([]WordTerm, len(words))
	if len(words) == 0 {
		return out, nil
	}
	if err := v.tok.terms(ctx, v.db, words, out); err != nil {
		return nil, fmt.Errorf("terms of %d words: %w", len(words), err)
	}
	return out, nil
}

// tokenizer keeps one connection with a temporary FTS5 table made with
// chunks_fts's tokenizer: the connection's own, so nothing is written to
// the vault. Making the table for each word took 0.4 ms, as long as the
// rest of a keyword query; it is emptied instead.
type tokenizer struct {
	mu   sync.Mutex
	conn *sql.Conn
}

func (t *tokenizer) terms(ctx context.Context, db *sql.DB, words []string, out []WordTerm) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn == nil {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`CREATE VIRTUAL TABLE IF NOT EXISTS temp.word_index USING fts5(word, tokenize = '` + ftsTokenizer + `')`,
			`CREATE VIRTUAL TABLE IF NOT EXISTS temp.word_terms USING fts5vocab(temp, word_index, instance)`,
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				conn.Close()
				return err
			}
		}
		t.conn = conn
	}
	err := t.ask(ctx, words, out)
	if err != nil {
		// A connection in an unknown state is not kept.
		t.conn.Close()
		t.conn = nil
	}
	return err
}

func (t *tokenizer) ask(ctx context.Context, words []string, out []WordTerm) error {
	if _, err := t.conn.ExecContext(ctx, `DELETE FROM temp.word_index`); err != nil {
		return err
	}
	for i, w := range words {
		if _, err := t.conn.ExecContext(ctx, `INSERT INTO temp.word_index(rowid, word) VALUES (?, ?)`, i+1, w); err != nil {
			return err
		}
	}
	return eachRow(ctx, t.conn, `SELECT doc, min(term), count(DISTINCT term) FROM temp.word_terms GROUP BY doc`, nil, func(rows *sql.Rows) error {
		var doc, n int
		var term string
		if err := rows.Scan(&doc, &term, &n); err != nil {
			return err
		}
		if doc >= 1 && doc <= len(out) {
			out[doc-1] = WordTerm{Term: term, OK: n == 1}
		}
		return nil
	})
}

// close gives the connection back.
func (t *tokenizer) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
}
