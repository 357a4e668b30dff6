// Package eval measures Hoard on benchmark datasets: ingestion throughput and
// search latency now, retrieval quality with the retrieval work.
package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
)

// Query is one benchmark question.
type Query struct {
	ID     string
	Text   string
	Answer string // metadata.answer, where the dataset gives one
}

// LoadQueries reads BEIR queries.jsonl ({"_id","text"}). When qrels is not
// empty only the queries it judges are kept, in file order.
func LoadQueries(file, qrels string) ([]Query, error) {
	keep := map[string]bool{}
	if qrels != "" {
		judged, err := LoadQrels(qrels)
		if err != nil {
			return nil, err
		}
		for id := range judged {
			keep[id] = true
		}
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer f.Close()
	var out []Query
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var q struct {
			ID       string `json:"_id"`
			Text     string `json:"text"`
			Metadata struct {
				Answer any `json:"answer"`
			} `json:"metadata"`
		}
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, fmt.Errorf("queries %s: %w", file, err)
		}
		if qrels == "" || keep[q.ID] {
			out = append(out, Query{ID: q.ID, Text: q.Text, Answer: answerString(q.Metadata.Answer)})
		}
	}
	return out, sc.Err()
}

// answerString reads metadata.answer: a string, or the first of a list.
func answerString(v any) string {
	switch a := v.(type) {
	case string:
		return a
	case []any:
		if len(a) > 0 {
			if s, ok := a[0].(string); ok {
				return s
			}
		}
	}
	return ""
}

// LoadQrels reads a BEIR qrels TSV (query-id, corpus-id, score), with or
// without a header line.
func LoadQrels(file string) (map[string]map[string]int, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("qrels: %w", err)
	}
	defer f.Close()
	out := map[string]map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(strings.TrimSpace(sc.Text()), "\t")
		if len(cols) < 3 {
			continue
		}
		score, err := strconv.Atoi(cols[2])
		if err != nil {
			continue // the header line
		}
		if out[cols[0]] == nil {
			out[cols[0]] = map[string]int{}
		}
		out[cols[0]][cols[1]] = score
	}
	return out, sc.Err()
}

// IngestReport is what `hoard bench ingest` prints.
type IngestReport struct {
	Engine        string  `json:"engine"` // hoard, naive-fts5
	Docs          int     `json:"docs"`
	Chunks        int     `json:"chunks"`
	Failed        int     `json:"failed"`
	IngestSeconds float64 `json:"ingest_seconds"`
	DocsPerSecond float64 `json:"docs_per_second"`
	VaultBytes    int64   `json:"vault_bytes"`
	Queries       int     `json:"queries"`
	P50ms         float64 `json:"p50_ms"`
	P95ms         float64 `json:"p95_ms"`
	P99ms         float64 `json:"p99_ms"`
	WarmSeconds   float64 `json:"warm_seconds"`   // building the in-memory postings after opening
	PostingsBytes int64   `json:"postings_bytes"` // what they hold in memory
}

// Ingest indexes corpus into a fresh vault in a temporary folder through the
// normal ingestion path, with the embedder and reranker neural names, then
// times every query.
func Ingest(ctx context.Context, corpus string, queries []Query, neural vault.NeuralOptions) (IngestReport, error) {
	r := IngestReport{Engine: "hoard"}
	dir, err := os.MkdirTemp("", "hoard-bench-*")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	vdir := filepath.Join(dir, "vault")
	start := time.Now()
	v, err := vault.Open(ctx, vdir, vault.Options{Neural: neural})
	if err != nil {
		return r, err
	}
	sum, err := v.Add(ctx, []string{corpus}, vault.AddOptions{})
	if err != nil {
		v.Close()
		return r, err
	}
	st, err := v.Status(ctx)
	if err != nil {
		v.Close()
		return r, err
	}
	// Closed, the write-ahead log is folded into the file: the size is the
	// vault's as it stays on disk.
	if err := v.Close(); err != nil {
		return r, err
	}
	r.IngestSeconds = time.Since(start).Seconds()
	r.Docs, r.Chunks, r.Failed = st.Indexed, st.Chunks, len(sum.Failed)
	r.DocsPerSecond = float64(r.Docs) / r.IngestSeconds
	if r.VaultBytes, err = dirBytes(vdir); err != nil {
		return r, err
	}
	if v, err = vault.Open(ctx, vdir, vault.Options{Neural: neural}); err != nil {
		return r, err
	}
	defer v.Close()
	// Timed as a vault that has been open a moment: its in-memory
	// full-text postings built (until then FTS5 answers, more slowly).
	t := time.Now()
	if err := v.WarmLexical(ctx); err != nil {
		return r, err
	}
	r.WarmSeconds, r.PostingsBytes = time.Since(t).Seconds(), v.LexicalStats().Bytes
	lat := make([]time.Duration, 0, len(queries))
	for _, q := range queries {
		t := time.Now()
		if _, err := v.Search(ctx, search.Request{Query: q.Text, Limit: 10}); err != nil {
			return r, fmt.Errorf("query %s: %w", q.ID, err)
		}
		lat = append(lat, time.Since(t))
	}
	r.Queries = len(lat)
	r.P50ms, r.P95ms, r.P99ms = Percentile(lat, 50), Percentile(lat, 95), Percentile(lat, 99)
	return r, nil
}

// dirBytes adds up the sizes of the files in dir.
func dirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	return n, err
}

// Percentile of durations in milliseconds (nearest rank).
func Percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	idx := int(p/100*float64(len(s))+0.5) - 1
	idx = max(0, min(idx, len(s)-1))
	return float64(s[idx].Microseconds()) / 1000
}
