package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// Dataset is a retrieval benchmark: a corpus in BEIR JSONL form, questions,
// and which corpus ids answer each question.
type Dataset struct {
	Name    string
	Corpus  string // BEIR corpus.jsonl
	Queries []Query
	Qrels   map[string]map[string]int
	Toy     bool // DragonMemory's toy format: report hit@1, hit@3, MRR@3
	// Pages: Corpus is a folder of documents (a documentation set) and
	// judgments name files by their path inside it.
	Pages   bool
	cleanup func()
}

// Close removes files the loader made.
func (d *Dataset) Close() {
	if d.cleanup != nil {
		d.cleanup()
	}
}

// LoadDataset reads a BEIR folder (corpus.jsonl, queries.jsonl,
// qrels/SPLIT.tsv) or DragonMemory's toy format (docs.jsonl, qa.jsonl).
func LoadDataset(dir, split string) (*Dataset, error) {
	if _, err := os.Stat(filepath.Join(dir, "qa.jsonl")); err == nil {
		return loadToy(dir)
	}
	if _, err := os.Stat(filepath.Join(dir, bookIndex)); err == nil {
		return loadBookIndex(dir)
	}
	qrels := filepath.Join(dir, "qrels", split+".tsv")
	judged, err := LoadQrels(qrels)
	if err != nil {
		return nil, err
	}
	qs, err := LoadQueries(filepath.Join(dir, "queries.jsonl"), qrels)
	if err != nil {
		return nil, err
	}
	return &Dataset{Name: filepath.Base(dir), Corpus: filepath.Join(dir, "corpus.jsonl"), Queries: qs, Qrels: judged}, nil
}

// loadToy converts the toy set to a BEIR corpus in a temporary file, so it
// is ingested through the same path as every other corpus.
func loadToy(dir string) (*Dataset, error) {
	tmp, err := os.MkdirTemp("", "hoard-toy-*")
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: filepath.Base(dir), Toy: true, Qrels: map[string]map[string]int{}, cleanup: func() { os.RemoveAll(tmp) }}
	ds.Corpus = filepath.Join(tmp, "corpus.jsonl")
	out, err := os.Create(ds.Corpus)
	if err != nil {
		ds.Close()
		return nil, err
	}
	defer out.Close()
	err = eachJSON(filepath.Join(dir, "docs.jsonl"), func(raw []byte) error {
		var d struct {
			ID    string `json:"doc_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]string{"_id": d.ID, "title": d.Title, "text": d.Text})
		_, err := fmt.Fprintf(out, "%s\n", b)
		return err
	})
	if err == nil {
		err = eachJSON(filepath.Join(dir, "qa.jsonl"), func(raw []byte) error {
			var q struct {
				ID       string   `json:"id"`
				Question string   `json:"question"`
				DocIDs   []string `json:"doc_ids"`
			}
			if err := json.Unmarshal(raw, &q); err != nil {
				return err
			}
			ds.Queries = append(ds.Queries, Query{ID: q.ID, Text: q.Question})
			ds.Qrels[q.ID] = map[string]int{}
			for _, d := range q.DocIDs {
				ds.Qrels[q.ID][d] = 1
			}
			return nil
		})
	}
	if err != nil {
		ds.Close()
		return nil, fmt.Errorf("toy dataset %s: %w", dir, err)
	}
	return ds, nil
}

func eachJSON(file string, fn func([]byte) error) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// RetrievalReport holds the quality and latency figures of one run.
type RetrievalReport struct {
	Dataset       string   `json:"dataset"`
	NDCG10        float64  `json:"ndcg@10"`
	Recall2       float64  `json:"recall@2"`
	Recall5       float64  `json:"recall@5"`
	Recall10      float64  `json:"recall@10"`
	Recall100     float64  `json:"recall@100"`
	MRR10         float64  `json:"mrr@10"`
	MRR3          float64  `json:"mrr@3"`
	Hit1          float64  `json:"hit@1"`
	Hit3          float64  `json:"hit@3"`
	P50ms         float64  `json:"p50_ms"`
	P95ms         float64  `json:"p95_ms"`
	P99ms         float64  `json:"p99_ms"`
	Queries       int      `json:"queries"`
	Docs          int      `json:"docs"`
	IngestSeconds float64  `json:"ingest_seconds"`
	Stages        []string `json:"stages"`
	Config        string   `json:"config,omitempty"` // the stage switches asked for
	// IndexRecall10: the vector index's recall@10 against exact float
	// search, on the dataset's queries (with float vectors kept).
	IndexRecall10 float64 `json:"index_recall@10,omitempty"`
	Embedder      string  `json:"embedder,omitempty"`
	Reranker      string  `json:"reranker,omitempty"`
}

// RetrievalOptions tune a run.
type RetrievalOptions struct {
	Depth  int    // documents ranked per query (100 for Recall@100)
	Stages string // stage switches, as search.Options.WithStages takes them
	// Embedder and Reranker name installed models ("" none: lexical).
	Embedder, Reranker string
	Models             *models.Manager
	// Keep is a folder for the vault that stays after the run, so a later
	// run with the same corpus skips ingesting and embedding it.
	Keep string
	// Forms are the vector forms kept (default int8 and bit); with float
	// the report gives the vector index's recall@10 against exact search.
	Forms []string
	// PerQuery, when set, receives one line per query and configuration:
	// config, query id, NDCG@10, query text, and the top ten documents
	// (with the bridge a hop followed): what an ablation changed.
	PerQuery io.Writer
}

// benchStages turns temporal decay off (benchmarks have no notion of age)
// and lists the stages left on.
func benchStages(o *search.Options) []string {
	o.Stages[search.StageDecay] = false
	return o.Enabled()
}

// freshVault ingests the dataset's corpus into a new temporary vault
// through the normal ingestion path; done closes and removes it.
func freshVault(ctx context.Context, ds *Dataset, opt vault.Options) (*vault.Vault, func(), error) {
	return keptVault(ctx, ds, opt, "")
}

// keptVault is freshVault in a folder that stays (keep, when not ""): a
// later run finds the corpus indexed and embedded, and only checks it.
func keptVault(ctx context.Context, ds *Dataset, opt vault.Options, keep string) (*vault.Vault, func(), error) {
	dir, vdir := keep, keep
	if keep == "" {
		var err error
		if dir, err = os.MkdirTemp("", "hoard-eval-*"); err != nil {
			return nil, nil, err
		}
		vdir = filepath.Join(dir, "vault")
	}
	v, err := vault.Open(ctx, vdir, opt)
	if err != nil {
		if keep == "" {
			os.RemoveAll(dir)
		}
		return nil, nil, err
	}
	done := func() {
		v.Close()
		if keep == "" {
			os.RemoveAll(dir)
		}
	}
	if _, err := v.Add(ctx, []string{ds.Corpus}, vault.AddOptions{}); err != nil {
		done()
		return nil, nil, err
	}
	return v, done, nil
}

// Retrieval ingests the dataset's corpus into a fresh temporary vault through
// the normal ingestion path, runs every query and scores the ranking.
func Retrieval(ctx context.Context, ds *Dataset, opt RetrievalOptions) (RetrievalReport, error) {
	reps, err := RetrievalConfigs(ctx, ds, opt, []string{opt.Stages})
	if err != nil {
		return RetrievalReport{Dataset: ds.Name}, err
	}
	return reps[0], nil
}

// RetrievalConfigs scores several stage configurations (opt.Stages is
// ignored) on one ingested vault: embedding a corpus once is what a real
// embedder makes expensive.
func RetrievalConfigs(ctx context.Context, ds *Dataset, opt RetrievalOptions, configs []string) ([]RetrievalReport, error) {
	if opt.Depth <= 0 {
		opt.Depth = 100
	}
	if len(configs) == 0 {
		configs = []string{""}
	}
	stages := make([]search.Options, len(configs))
	for i, c := range configs {
		o, err := search.DefaultOptions().WithStages(c)
		if err != nil {
			return nil, err
		}
		benchStages(&o)
		stages[i] = o
	}
	neural := vault.NeuralOptions{Models: opt.Models, Embedder: "none", Reranker: "none", Forms: opt.Forms}
	if opt.Embedder != "" {
		neural.Embedder = opt.Embedder
	}
	if opt.Reranker != "" {
		neural.Reranker = opt.Reranker
	}
	start := time.Now()
	v, done, err := keptVault(ctx, ds, vault.Options{Search: &stages[0], Neural: neural}, opt.Keep)
	if err != nil {
		return nil, err
	}
	defer done()
	ingest := time.Since(start).Seconds()
	// Scored as a vault open a moment answers, from its in-memory postings:
	// otherwise the first queries would go to FTS5 and the rest to memory,
	// and the latencies would mix the two.
	if err := v.WarmLexical(ctx); err != nil {
		return nil, err
	}
	st, err := v.Status(ctx)
	if err != nil {
		return nil, err
	}
	if opt.Embedder != "" && !st.Neural.HybridActive {
		return nil, fmt.Errorf("embedder %s is not in use: %s", opt.Embedder, st.Neural.Note)
	}
	prefix, err := filepath.Abs(ds.Corpus)
	if err != nil {
		return nil, err
	}
	prefix += "#"
	var recall float64
	if slices.Contains(opt.Forms, "float") && opt.Embedder != "" {
		qs := make([]string, len(ds.Queries))
		for i, q := range ds.Queries {
			qs[i] = q.Text
		}
		if recall, err = v.VectorRecall(ctx, qs, 10); err != nil {
			return nil, err
		}
	}
	var out []RetrievalReport
	for i, so := range stages {
		v.Retune(ctx, func(o *search.Options) {
			dense, reranker := o.Dense, o.Reranker // the models stay
			*o = so
			o.Dense, o.Reranker = dense, reranker
		})
		r, err := scoreQueries(ctx, v, ds, prefix, opt.Depth, opt.PerQuery, configs[i])
		if err != nil {
			return nil, err
		}
		r.Dataset, r.Docs, r.IngestSeconds, r.Stages, r.Config = ds.Name, st.Indexed, ingest, so.Enabled(), configs[i]
		r.Embedder, r.Reranker, r.IndexRecall10 = st.Neural.Embedder, opt.Reranker, recall
		out = append(out, r)
	}
	if ds.Pages {
		// The baseline a real-documents figure is read against.
		r, err := NaiveFTS5(ctx, v, ds)
		if err != nil {
			return nil, err
		}
		r.Docs, r.IngestSeconds = st.Indexed, ingest
		out = append(out, r)
	}
	return out, nil
}

// scoreQueries runs every judged query against the vault and averages the
// metrics.
func scoreQueries(ctx context.Context, v *vault.Vault, ds *Dataset, prefix string, depth int, perQuery io.Writer, config string) (RetrievalReport, error) {
	var r RetrievalReport
	var lat []time.Duration
	var sum RetrievalReport
	for _, q := range ds.Queries {
		rel := ds.Qrels[q.ID]
		if len(rel) == 0 {
			continue
		}
		t := time.Now()
		hits, err := v.Search(ctx, search.Request{Query: q.Text, Limit: depth, PerDocument: true})
		if err != nil {
			return r, fmt.Errorf("query %s: %w", q.ID, err)
		}
		lat = append(lat, time.Since(t))
		ranked := make([]string, 0, len(hits))
		for _, h := range hits {
			ranked = append(ranked, ds.docID(h.Path, prefix))
		}
		m := Score(ranked, rel)
		add(&sum, m)
		if perQuery != nil {
			top := make([]string, 0, 10)
			for i, h := range hits[:min(10, len(hits))] {
				mark := ""
				if rel[ranked[i]] > 0 {
					mark = "*"
				}
				top = append(top, mark+ranked[i]+strings.TrimPrefix(" "+h.Via, " "))
			}
			fmt.Fprintf(perQuery, "%s\t%s\t%.4f\t%s\t%s\n", config, q.ID, m.NDCG10, q.Text, strings.Join(top, " | "))
		}
	}
	if len(lat) == 0 {
		return r, fmt.Errorf("dataset %s: no judged queries", ds.Name)
	}
	average(&r, sum, len(lat))
	r.P50ms, r.P95ms, r.P99ms = Percentile(lat, 50), Percentile(lat, 95), Percentile(lat, 99)
	return r, nil
}

// Score computes one query's metrics from a ranked list of ids and graded
// judgments (a grade above 0 is relevant).
func Score(ranked []string, rel map[string]int) RetrievalReport {
	var m RetrievalReport
	relevant := 0
	var grades []int
	for _, g := range rel {
		if g > 0 {
			relevant++
			grades = append(grades, g)
		}
	}
	if relevant == 0 {
		return m
	}
	sort.Sort(sort.Reverse(sort.IntSlice(grades)))
	dcg, idcg := 0.0, 0.0
	for i := 0; i < 10 && i < len(grades); i++ {
		idcg += float64(grades[i]) / math.Log2(float64(i+2))
	}
	found := map[int]int{} // cutoff → relevant found within it
	first := 0
	seen := map[string]bool{}
	for i, id := range ranked {
		if seen[id] {
			continue
		}
		seen[id] = true
		g := rel[id]
		if g <= 0 {
			continue
		}
		if first == 0 {
			first = i + 1
		}
		if i < 10 {
			dcg += float64(g) / math.Log2(float64(i+2))
		}
		for _, k := range []int{1, 2, 3, 5, 10, 100} {
			if i < k {
				found[k]++
			}
		}
	}
	if idcg > 0 {
		m.NDCG10 = dcg / idcg
	}
	r := float64(relevant)
	m.Recall2, m.Recall5, m.Recall10, m.Recall100 = float64(found[2])/r, float64(found[5])/r, float64(found[10])/r, float64(found[100])/r
	if first > 0 && first <= 10 {
		m.MRR10 = 1 / float64(first)
	}
	if first > 0 && first <= 3 {
		m.MRR3 = 1 / float64(first)
	}
	if found[1] > 0 {
		m.Hit1 = 1
	}
	if found[3] > 0 {
		m.Hit3 = 1
	}
	return m
}
