package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/store"
)

// NaiveFTS5Ingest is the floor Hoard's lexical ingest is measured against:
// the corpus's records in one plain FTS5 table on disk (id, title, text;
// the default unicode61 tokenizer, content stored in the table), inserted in
// one transaction (store.NaiveBM25), then every query as its words OR-ed,
// ten hits by bm25().
func NaiveFTS5Ingest(ctx context.Context, corpus string, queries []Query) (IngestReport, error) {
	r := IngestReport{Engine: "naive-fts5"}
	dir, err := os.MkdirTemp("", "hoard-naive-*")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "naive.db")
	start := time.Now()
	naive, err := store.OpenNaiveBM25(ctx, file)
	if err != nil {
		return r, err
	}
	defer naive.Close()
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
		if err := naive.Add(ctx, rec.ID, rec.Title, rec.Text); err != nil {
			return r, err
		}
		r.Docs++
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	// Committed with the WAL folded into the file, so its size is the table's.
	if err := naive.Commit(ctx); err != nil {
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
		words := naiveWords(q.Text)
		if len(words) == 0 {
			continue
		}
		t := time.Now()
		if _, err := naive.Search(ctx, words, 10); err != nil {
			return r, fmt.Errorf("query %s: %w", q.ID, err)
		}
		lat = append(lat, time.Since(t))
	}
	r.Queries = len(lat)
	r.P50ms, r.P95ms, r.P99ms = Percentile(lat, 50), Percentile(lat, 95), Percentile(lat, 99)
	return r, nil
}

// naiveWords are the lower-case ASCII words of a query, as the naive
// baselines search for them.
func naiveWords(q string) []string {
	return strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
}
