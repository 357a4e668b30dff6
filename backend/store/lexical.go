package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// lexicalStampSQL reads LexicalStamp.
const lexicalStampSQL = `SELECT coalesce((SELECT block FROM chunks_fts_data WHERE id = 1), x'') ||
		x'00' || coalesce((SELECT block FROM chunks_fts_data WHERE id = 10), x'')`

// LexicalStamp is the full-text index's state, read without reading the
// index: FTS5's averages record (row count and token totals) and its
// structure record, which FTS5 writes again, with a new cookie, on every
// change to the index. Equal stamps, equal index.
func (v SearchView) LexicalStamp(ctx context.Context) (string, error) {
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
// position (FTS5's own order), and returns the stamp (LexicalStamp) of
// what it read. An in-memory index is built from it.
func (v SearchView) ReadLexical(ctx context.Context, row func(LexicalRow) error, token func(LexicalToken) error) (stamp string, err error) {
	conn, err := v.db.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("read full-text index: %w", err)
	}
	defer conn.Close()
	// fts5vocab lists the tokens of an FTS5 table; a temporary one is
	// the connection's own and writes nothing to the vault.
	if _, err := conn.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_fts_tokens USING fts5vocab(main, chunks_fts, instance)`); err != nil {
		return "", fmt.Errorf("read full-text index: %w", err)
	}
	defer func() {
		// With a cancelled ctx the statement would not run.
		_, derr := conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.chunks_fts_tokens`)
		err = errors.Join(err, derr)
	}()
	// A deferred transaction is a read snapshot (the vault's _txlock
	// would make BeginTx take the write lock).
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return "", fmt.Errorf("read full-text index: %w", err)
	}
	defer func() {
		_, rerr := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		err = errors.Join(err, rerr)
	}()
	var raw []byte
	if err := conn.QueryRowContext(ctx, lexicalStampSQL).Scan(&raw); err != nil {
		return "", fmt.Errorf("full-text stamp: %w", err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT z.id, coalesce(s.document_id, 0), coalesce(s.title, ''), coalesce(s.heading, ''), coalesce(s.body, ''), z.sz
		FROM chunks_fts_docsize z LEFT JOIN chunk_fts_source s ON s.id = z.id ORDER BY z.id`)
	if err != nil {
		return "", fmt.Errorf("full-text rows: %w", err)
	}
	for rows.Next() {
		var r LexicalRow
		var sz []byte
		if err := rows.Scan(&r.ChunkID, &r.DocID, &r.Title, &r.Heading, &r.Body, &sz); err != nil {
			rows.Close()
			return "", fmt.Errorf("full-text rows: %w", err)
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
			return "", err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("full-text rows: %w", err)
	}
	toks, err := conn.QueryContext(ctx, `SELECT term, doc, col, offset FROM temp.chunks_fts_tokens`)
	if err != nil {
		return "", fmt.Errorf("full-text tokens: %w", err)
	}
	defer toks.Close()
	var t LexicalToken
	var term, col sql.RawBytes
	var offset int64 // scanned as the driver's own type: no conversion a row
	last := ""
	for toks.Next() {
		if err := toks.Scan(&term, &t.Chunk, &col, &offset); err != nil {
			return "", fmt.Errorf("full-text tokens: %w", err)
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
			return "", fmt.Errorf("full-text tokens: unknown column %q", col)
		}
		if err := token(t); err != nil {
			return "", err
		}
	}
	if err := toks.Err(); err != nil {
		return "", fmt.Errorf("full-text tokens: %w", err)
	}
	return string(raw), nil
}

// Spelling finds how the text spells a word the full-text index matches,
// from the first row that holds it: FTS5's highlight() marks the matched
// token in the row's own text. found is false when no row matches.
func (v SearchView) Spelling(ctx context.Context, word string) (spelling string, found bool, err error) {
	var marked string
	err = v.db.QueryRowContext(ctx, `SELECT highlight(chunks_fts, 0, char(1), char(2)) || char(3) ||
		highlight(chunks_fts, 1, char(1), char(2)) || char(3) || highlight(chunks_fts, 2, char(1), char(2))
		FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT 1`, `"`+strings.ReplaceAll(word, `"`, `""`)+`"`).Scan(&marked)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("spelling of %q: %w", word, err)
	}
	_, rest, ok := strings.Cut(marked, "\x01")
	spelling, _, closed := strings.Cut(rest, "\x02")
	if !ok || !closed {
		return "", true, nil // matched, but not marked: no spelling to learn
	}
	return spelling, true, nil
}
