// Command bleve-bench indexes a BEIR corpus.jsonl with Bleve, the Go search
// engine a user would pick instead of Hoard, and prints the ingest time, the
// index size on disk, the 10-hit query latency and NDCG@10 as one JSON line,
// for scripts/bench-lexical.sh to set beside Hoard's figures. It lives in its
// own module so Hoard's go.mod does not carry Bleve.
//
//	bleve-bench index --corpus corpus.jsonl --form all|fields [--queries q.jsonl --qrels test.tsv] [--dir DIR]
//	bleve-bench repeat --corpus corpus.jsonl --times 8 --out corpus8.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

type record struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

type report struct {
	Engine        string  `json:"engine"`
	Form          string  `json:"form"`
	Docs          int     `json:"docs"`
	IngestSeconds float64 `json:"ingest_seconds"`
	Bytes         int64   `json:"bytes"`
	Queries       int     `json:"queries"`
	P50ms         float64 `json:"p50_ms"`
	NDCG10        float64 `json:"ndcg10"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bleve-bench index|repeat [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "index":
		err = indexCmd(os.Args[2:])
	case "repeat":
		err = repeatCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (index or repeat)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bleve-bench:", err)
		os.Exit(1)
	}
}

// newMapping builds one of the two forms measured. Both keep title and text
// stored, as Hoard keeps them to show a hit, with the English analyzer
// (Porter stemming, as Hoard's index) and BM25:
//   - "all": the fields are stored and indexed without term vectors, and
//     their words go to the composite _all field, which a query matches
//     (Bleve's default way to search a document as a whole);
//   - "fields": title and text are each indexed, with term vectors (what
//     highlighting needs), and a query matches either.
func newMapping(form string) (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	m.ScoringModel = index.BM25Scoring
	m.DefaultAnalyzer = en.AnalyzerName
	doc := bleve.NewDocumentStaticMapping()
	for _, name := range []string{"title", "text"} {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = en.AnalyzerName
		f.Store = true
		f.DocValues = false
		switch form {
		case "all":
			f.IncludeTermVectors = false
			f.IncludeInAll = true
		case "fields":
			f.IncludeInAll = false
		default:
			return nil, fmt.Errorf("form %q: all or fields", form)
		}
		doc.AddFieldMappingsAt(name, f)
	}
	m.DefaultMapping = doc
	return m, nil
}

func indexCmd(args []string) error {
	fl := flag.NewFlagSet("index", flag.ContinueOnError)
	corpus := fl.String("corpus", "", "BEIR corpus.jsonl")
	form := fl.String("form", "all", "all or fields")
	queries := fl.String("queries", "", "BEIR queries.jsonl")
	qrels := fl.String("qrels", "", "qrels TSV: only the queries it judges are run")
	dir := fl.String("dir", "", "index folder (default: a temporary one, removed after)")
	batchSize := fl.Int("batch", 1000, "documents per batch")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *corpus == "" {
		return errors.New("--corpus is required")
	}
	m, err := newMapping(*form)
	if err != nil {
		return err
	}
	path := *dir
	if path == "" {
		tmp, err := os.MkdirTemp("", "bleve-bench-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		path = filepath.Join(tmp, "index")
	}
	r := report{Engine: "bleve", Form: *form}
	start := time.Now()
	idx, err := bleve.New(path, m)
	if err != nil {
		return err
	}
	b := idx.NewBatch()
	err = eachRecord(*corpus, func(rec record) error {
		if err := b.Index(rec.ID, map[string]any{"title": rec.Title, "text": rec.Text}); err != nil {
			return err
		}
		r.Docs++
		if b.Size() >= *batchSize {
			if err := idx.Batch(b); err != nil {
				return err
			}
			b.Reset()
		}
		return nil
	})
	if err == nil && b.Size() > 0 {
		err = idx.Batch(b)
	}
	if err != nil {
		idx.Close()
		return err
	}
	// Close waits for the last segments to be persisted: the time counts
	// until the index is on disk, as Hoard's commit does.
	if err := idx.Close(); err != nil {
		return err
	}
	r.IngestSeconds = time.Since(start).Seconds()
	if r.Bytes, err = dirSize(path); err != nil {
		return err
	}
	if *queries != "" {
		if err := runQueries(path, *form, *queries, *qrels, &r); err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

func runQueries(path, form, queries, qrels string, r *report) error {
	idx, err := bleve.Open(path)
	if err != nil {
		return err
	}
	defer idx.Close()
	judged, err := loadQrels(qrels)
	if err != nil {
		return err
	}
	qs, err := loadQueries(queries, judged)
	if err != nil {
		return err
	}
	var lat []time.Duration
	var ndcg float64
	for _, q := range qs {
		var qq query.Query
		if form == "fields" {
			t := bleve.NewMatchQuery(q.Text)
			t.SetField("title")
			x := bleve.NewMatchQuery(q.Text)
			x.SetField("text")
			qq = bleve.NewDisjunctionQuery(t, x)
		} else {
			qq = bleve.NewMatchQuery(q.Text)
		}
		req := bleve.NewSearchRequestOptions(qq, 10, 0, false)
		t0 := time.Now()
		res, err := idx.Search(req)
		if err != nil {
			return fmt.Errorf("query %s: %w", q.ID, err)
		}
		lat = append(lat, time.Since(t0))
		ranked := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			ranked[i] = h.ID
		}
		ndcg += ndcg10(ranked, judged[q.ID])
	}
	r.Queries = len(qs)
	if len(qs) > 0 {
		r.NDCG10 = ndcg / float64(len(qs))
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		r.P50ms = float64(lat[(len(lat)-1)/2].Microseconds()) / 1000
	}
	return nil
}

// ndcg10 scores a ranking against graded judgments (BEIR's definition).
func ndcg10(ranked []string, rel map[string]int) float64 {
	var dcg float64
	for i, id := range ranked {
		if i == 10 {
			break
		}
		dcg += float64(rel[id]) / math.Log2(float64(i)+2)
	}
	var grades []int
	for _, g := range rel {
		grades = append(grades, g)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(grades)))
	var ideal float64
	for i, g := range grades {
		if i == 10 {
			break
		}
		ideal += float64(g) / math.Log2(float64(i)+2)
	}
	if ideal == 0 {
		return 0
	}
	return dcg / ideal
}

// repeatCmd writes the corpus times over with distinct ids, for the
// growth measurement. Copy k (from 1) has " (copy k)" after its title, so
// no copy has the same bytes as another: Hoard stores identical content
// once, and a copy it only linked would not measure indexing.
func repeatCmd(args []string) error {
	fl := flag.NewFlagSet("repeat", flag.ContinueOnError)
	corpus := fl.String("corpus", "", "BEIR corpus.jsonl")
	times := fl.Int("times", 8, "copies")
	out := fl.String("out", "", "corpus.jsonl written")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *corpus == "" || *out == "" || *times < 1 {
		return errors.New("--corpus, --out and --times ≥ 1 are required")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for k := range *times {
		err = eachRecord(*corpus, func(rec record) error {
			if k > 0 {
				rec.ID = rec.ID + "-copy" + strconv.Itoa(k)
				rec.Title = strings.TrimSpace(rec.Title + " (copy " + strconv.Itoa(k) + ")")
			}
			return enc.Encode(rec)
		})
		if err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func eachRecord(file string, fn func(record) error) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var rec record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return sc.Err()
}

type benchQuery struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

func loadQueries(file string, judged map[string]map[string]int) ([]benchQuery, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []benchQuery
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var q benchQuery
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if judged == nil || judged[q.ID] != nil {
			out = append(out, q)
		}
	}
	return out, sc.Err()
}

// loadQrels reads a BEIR qrels TSV (query-id, corpus-id, score); nil when
// no file is given (every query is run, none scored).
func loadQrels(file string) (map[string]map[string]int, error) {
	if file == "" {
		return nil, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(strings.TrimSpace(sc.Text()), "\t")
		if len(cols) < 3 {
			continue
		}
		g, err := strconv.Atoi(cols[2])
		if err != nil {
			continue // the header line
		}
		if out[cols[0]] == nil {
			out[cols[0]] = map[string]int{}
		}
		out[cols[0]][cols[1]] = g
	}
	return out, sc.Err()
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n += fi.Size()
		return nil
	})
	return n, err
}
