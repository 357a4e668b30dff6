package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The tables below are for benchmarks only: the baselines Hoard's search is
// measured against. They are SQL, so they live here with the rest of it.

// NaiveBM25 is the plain full-text table the lexical figures are measured
// against: one FTS5 table (id, title, text; the default unicode61
// tokenizer, no stemming, content stored in the table), queried with the
// words OR-ed and ranked by bm25() with equal column weights.
type NaiveBM25 struct {
	db  *sql.DB
	tx  *sql.Tx
	ins *sql.Stmt
}

// OpenNaiveBM25 creates the table in a new file, journalled as a vault is
// (WAL), or in memory when file is "".
func OpenNaiveBM25(ctx context.Context, file string) (*NaiveBM25, error) {
	dsn := ":memory:"
	if file != "" {
		dsn = "file:" + file + "?_journal_mode=WAL&_synchronous=NORMAL"
	}
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("naive BM25 table: %w", err)
	}
	db.SetMaxOpenConns(1) // one connection: an in-memory database is per connection
	if _, err := db.ExecContext(ctx, `CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, text)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("naive BM25 table: %w", err)
	}
	return &NaiveBM25{db: db}, nil
}

// Add inserts one record. The records added until Commit go in one
// transaction.
func (n *NaiveBM25) Add(ctx context.Context, id, title, text string) error {
	if n.tx == nil {
		tx, err := n.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("naive BM25 table: %w", err)
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO docs (id, title, text) VALUES (?, ?, ?)`)
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("naive BM25 table: %w", err)
		}
		n.tx, n.ins = tx, ins
	}
	if _, err := n.ins.ExecContext(ctx, id, title, text); err != nil {
		return fmt.Errorf("naive BM25 table: add %s: %w", id, err)
	}
	return nil
}

// Commit ends the transaction and folds the journal into the file, so that
// the file's size is the table's.
func (n *NaiveBM25) Commit(ctx context.Context) error {
	if n.tx != nil {
		n.ins.Close()
		err := n.tx.Commit()
		n.tx, n.ins = nil, nil
		if err != nil {
			return fmt.Errorf("naive BM25 table: %w", err)
		}
	}
	if _, err := n.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("naive BM25 table: %w", err)
	}
	return nil
}

// Search returns the ids of the k best records for the words, any of them
// (none: no records).
func (n *NaiveBM25) Search(ctx context.Context, words []string, k int) ([]string, error) {
	if len(words) == 0 {
		return nil, nil
	}
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	var ids []string
	err := eachRow(ctx, n.db, `SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?`, []any{strings.Join(terms, " OR "), k},
		func(rows *sql.Rows) error {
			var id string
			err := rows.Scan(&id)
			ids = append(ids, id)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("naive BM25 search: %w", err)
	}
	return ids, nil
}

// Close closes the table (a transaction not committed is dropped).
func (n *NaiveBM25) Close() error {
	if n.tx != nil {
		n.ins.Close()
		n.tx.Rollback()
	}
	return n.db.Close()
}

// ExactVectors is a benchmark's table of float and int8 vectors beside the
// vault's own, which keeps only the forms search uses: sqlite-vec's exact
// KNN over it is what the vector index's recall is measured against.
type ExactVectors struct{ db *sql.DB }

// ExactVectors returns the vault's exact-vector table (Create makes it).
func (s *Store) ExactVectors() ExactVectors { return ExactVectors{db: s.db} }

// Create makes the table, for vectors of dims dimensions.
func (x ExactVectors) Create(ctx context.Context, dims int) error {
	_, err := x.db.ExecContext(ctx, fmt.Sprintf(`CREATE VIRTUAL TABLE bench_exact USING vec0(f float[%d] distance_metric=cosine, i int8[%d])`, dims, dims))
	if err != nil {
		return fmt.Errorf("exact vectors: %w", err)
	}
	return nil
}

// Put stores the chunks' vectors, as floats and as int8 codes at scale, in
// one transaction.
func (x ExactVectors) Put(ctx context.Context, ids []int64, vecs [][]float32, scale float64) error {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("exact vectors: %w", err)
	}
	defer tx.Rollback()
	for i, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO bench_exact(rowid, f, i) VALUES (?, vec_f32(?), vec_int8(?))`,
			id, Float32Blob(vecs[i]), Int8Blob(vecs[i], scale)); err != nil {
			return fmt.Errorf("exact vectors: %w", err)
		}
	}
	return tx.Commit()
}

// Nearest is exact KNN over the float vectors: the k chunks nearest to q.
func (x ExactVectors) Nearest(ctx context.Context, q []float32, k int) ([]int64, error) {
	return x.knn(ctx, `f MATCH vec_f32(?)`, Float32Blob(q), k)
}

// NearestInt8 is exact KNN over the int8 codes, q quantized at scale.
func (x ExactVectors) NearestInt8(ctx context.Context, q []float32, scale float64, k int) ([]int64, error) {
	return x.knn(ctx, `i MATCH vec_int8(?)`, Int8Blob(q, scale), k)
}

func (x ExactVectors) knn(ctx context.Context, match string, q []byte, k int) ([]int64, error) {
	var ids []int64
	err := eachRow(ctx, x.db, `SELECT rowid FROM bench_exact WHERE `+match+` AND k = ? ORDER BY distance`, []any{q, k}, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("exact knn: %w", err)
	}
	return ids, nil
}

// At is the vector of the n-th stored chunk in id order (0-based): a
// benchmark's queries are paraphrases of stored vectors, chosen by a seeded
// generator so that a reused database gets the same queries.
func (x ExactVectors) At(ctx context.Context, n int) ([]float32, error) {
	var b []byte
	err := x.db.QueryRowContext(ctx, `SELECT f FROM bench_exact WHERE rowid = (SELECT chunk_id FROM chunk_embeddings ORDER BY chunk_id LIMIT 1 OFFSET ?)`, n).Scan(&b)
	if err != nil {
		return nil, fmt.Errorf("exact vectors: %w", err)
	}
	return Float32s(b), nil
}

// Each calls fn with every stored vector in id order, as its float32 blob
// (little-endian), for a peer engine to read the same vectors.
func (x ExactVectors) Each(ctx context.Context, fn func(id int64, blob []byte) error) error {
	rows, err := x.db.QueryContext(ctx, `SELECT rowid, f FROM bench_exact ORDER BY rowid`)
	if err != nil {
		return fmt.Errorf("exact vectors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return fmt.Errorf("exact vectors: %w", err)
		}
		if err := fn(id, b); err != nil {
			return err
		}
	}
	return rows.Err()
}
