package eval

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// NaiveFTS5Ingest is the floor Hoard's lexical ingest is measured against:
// the corpus's records in one plain FTS5 table on disk (id, title, text;
// the default unicode61 tokenizer, content stored in the table), inserted in
// one transaction, then every query as its words OR-ed, ten hits by bm25().
func NaiveFTS5Ingest(ctx context.Context, corpus string, queries []Query) (IngestReport, error) {
	r := IngestReport{Engine: "naive-fts5"}
	dir, err := os.MkdirTemp("", "hoard-naive-*")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "naive.db")
	db, err := sql.Open("sqlite3", "file:"+file+"?_journal_mode=WAL&_synchronous=NORMAL")
	if err != nil {
		return r, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	start := time.Now()
	if _, err := db.ExecContext(ctx, `CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, text)`); err != nil {
		return r, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return r, err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO docs (id, title, text) VALUES (?, ?, ?)`)
	if err != nil {
		return r, err
	}
	f, err := os.Open(corpus)
	if err != nil {
		return r, fmt.Errorf("corpus: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var rec struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return r, fmt.Errorf("corpus %s: %w", corpus, err)
		}
		if _, err := ins.ExecContext(ctx, rec.ID, rec.Title, rec.Text); err != nil {
			return r, err
		}
		r.Docs++
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	if err := tx.Commit(); err != nil {
		return r, err
	}
	// The WAL folded into the file, so its size is the table's.
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return r, err
	}
	r.IngestSeconds = time.Since(start).Seconds()
	r.DocsPerSecond = float64(r.Docs) / r.IngestSeconds
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(file + suffix); err == nil {
			r.VaultBytes += fi.Size()
		}
	}
	lat := make([]time.Duration, 0, len(queries))
	for _, q := range queries {
		var terms []string
		for _, w := range strings.FieldsFunc(strings.ToLower(q.Text), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
			terms = append(terms, `"`+w+`"`)
		}
		if len(terms) == 0 {
			continue
		}
		t := time.Now()
		rows, err := db.QueryContext(ctx, `SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10`, strings.Join(terms, " OR "))
		if err != nil {
			return r, fmt.Errorf("query %s: %w", q.ID, err)
		}
		for rows.Next() {
		}
		rows.Close()
		lat = append(lat, time.Since(t))
	}
	r.Queries = len(lat)
	r.P50ms, r.P95ms, r.P99ms = Percentile(lat, 50), Percentile(lat, 95), Percentile(lat, 99)
	return r, nil
}
