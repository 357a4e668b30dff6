package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// execer runs a statement: the database, a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// sqlTx is what the write helpers run statements on: a transaction, or a
// stmtTx over one.
type sqlTx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// stmtTx prepares each statement of a transaction once: a document's
// chunks, and a batch's documents, reuse them (preparing per row cost as
// much as running the row). The transaction closes them when it ends.
type stmtTx struct {
	*sql.Tx
	stmts map[string]*sql.Stmt
	// later, in a batch, holds the full-text rows back until the commit.
	later *laterRows
	dicts map[int64]bool // text dictionaries stored (saveDictionary)
}

func newStmtTx(tx *sql.Tx) *stmtTx { return &stmtTx{Tx: tx, stmts: map[string]*sql.Stmt{}} }

func (t *stmtTx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	st, err := t.Tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	t.stmts[q] = st
	return st, nil
}

func (t *stmtTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *stmtTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return t.Tx.QueryRowContext(ctx, q, args...) // reports the error
	}
	return st.QueryRowContext(ctx, args...)
}

func (t *stmtTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// Batch stores many documents in one transaction: they appear together at
// Commit, or none of them does (a crash, Rollback), and the commit's cost is
// shared among them. While a batch is open it holds the vault's write lock.
type Batch struct {
	tx   *sql.Tx
	st   *stmtTx
	docs int
}

// BeginBatch starts a batch.
func (s *Store) BeginBatch(ctx context.Context) (*Batch, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	st := newStmtTx(tx)
	st.later = &laterRows{}
	return &Batch{tx: tx, st: st}, nil
}

// Index is Store.Index within the batch.
func (b *Batch) Index(ctx context.Context, collection string, src Source, c Content) (int64, Outcome, error) {
	b.docs++
	return index(ctx, b.st, collection, src, c)
}

// RecordFailure is Store.RecordFailure within the batch.
func (b *Batch) RecordFailure(ctx context.Context, collection string, src Source, hash, mediaType, reason string) (int64, error) {
	b.docs++
	return recordFailure(ctx, b.st, collection, src, hash, mediaType, reason)
}

// Restamp is Store.Restamp within the batch.
func (b *Batch) Restamp(ctx context.Context, src Source) error {
	return restamp(ctx, b.st, src)
}

// Finish is Store.Finish within the batch: a queue row goes with the
// documents it stands for.
func (b *Batch) Finish(ctx context.Context, q QueueItem) error { return finish(ctx, b.st, q) }

// Retry is Store.Retry within the batch.
func (b *Batch) Retry(ctx context.Context, q QueueItem, attempts int, notBefore time.Time, reason string) error {
	return retry(ctx, b.st, q, attempts, notBefore, reason)
}

// Park is Store.Park within the batch.
func (b *Batch) Park(ctx context.Context, q QueueItem, reason string) error {
	return park(ctx, b.st, q, reason)
}

// Len is how many documents the batch has written.
func (b *Batch) Len() int { return b.docs }

// Commit makes the batch's documents appear.
func (b *Batch) Commit() error {
	if err := flushLater(context.Background(), b.st); err != nil {
		return err
	}
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// indexGist adds a gist's row to its index (which keeps no content).
func indexGist(ctx context.Context, tx execer, docID int64, gist, keyphrases string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO gists_fts (rowid, gist, keyphrases) VALUES (?, ?, ?)`, docID, gist, keyphrases); err != nil {
		return fmt.Errorf("index gist: %w", err)
	}
	return nil
}

// Rollback drops what the batch wrote.
func (b *Batch) Rollback() error { return b.tx.Rollback() }

// Full-text rows are written at the end of a batch, all in a row. FTS5
// writes what it holds in memory to a new segment of its index whenever a
// statement that may need rolling back (one with a trigger, a multi-row
// one) starts: interleaved with each document's other rows, that was a segment
// per document, and merging them cost more than the rest of the writing.
type laterRows struct {
	chunks []ftsChunk
	gists  []gistRow
}

// ftsChunk is a chunk's row in the full-text index.
type ftsChunk struct {
	id                   int64
	title, heading, body string
}

// gistRow is a document's extractive gist: stored is what gists.gist
// holds (packGist), storedKeys what gists.keyphrases does
// (packKeyphrases), gist and keyphrases the words the index gets.
type gistRow struct {
	docID              int64
	gist, keyphrases   string
	stored, storedKeys any
}

// indexLater writes a document's full-text rows and gist, or holds them
// back when tx is a batch's.
func indexLater(ctx context.Context, tx sqlTx, chunks []ftsChunk, g *gistRow) error {
	l := &laterRows{chunks: chunks}
	if g != nil {
		l.gists = []gistRow{*g}
	}
	if st, ok := tx.(*stmtTx); ok && st.later != nil {
		st.later.chunks = append(st.later.chunks, l.chunks...)
		st.later.gists = append(st.later.gists, l.gists...)
		return nil
	}
	return l.write(ctx, tx)
}

// flushLater writes what a batch holds back now: before a deletion (which
// must find the rows) and at the commit.
func flushLater(ctx context.Context, tx sqlTx) error {
	st, ok := tx.(*stmtTx)
	if !ok || st.later == nil {
		return nil
	}
	err := st.later.write(ctx, tx)
	*st.later = laterRows{}
	return err
}

func (l *laterRows) write(ctx context.Context, tx sqlTx) error {
	t := now()
	for _, g := range l.gists {
		stored, keys := g.stored, g.storedKeys
		if stored == nil {
			stored = g.gist
		}
		if keys == nil {
			keys = g.keyphrases
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO gists (document_id, gist, keyphrases, by_llm, updated_at) VALUES (?, ?, ?, 0, ?)`,
			g.docID, stored, keys, t); err != nil {
			return fmt.Errorf("gist: %w", err)
		}
		if err := indexGist(ctx, tx, g.docID, g.gist, g.keyphrases); err != nil {
			return err
		}
	}
	for _, c := range l.chunks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO chunks_fts (rowid, title, heading, body) VALUES (?, ?, ?, ?)`, c.id, c.title, c.heading, c.body); err != nil {
			return fmt.Errorf("index chunks: %w", err)
		}
	}
	return nil
}
