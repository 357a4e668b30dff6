package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hoardvault/hoard/backend/infer"
)

// EmbedOptions configure the embedding benchmark.
type EmbedOptions struct {
	Model, Tokenizer string   // model.onnx and tokenizer.json
	Texts            []string // passages (cut to about Tokens tokens here)
	Tokens           int      // tokens per passage, specials included (256)
	Batches          []int    // batch sizes to time
	Threads          int      // ONNX Runtime intra-op threads (0: one per CPU)
	AsFile           bool     // the graph as the file has it, without Hoard's rewrite
}

// EmbedRun is one batch size's figure.
type EmbedRun struct {
	Batch        int     `json:"batch"`
	ChunksPerSec float64 `json:"chunks_per_sec"`
	Seconds      float64 `json:"seconds"`
	Texts        int     `json:"texts"`
	AvgTokens    float64 `json:"avg_tokens"`
}

// EmbedReport is the whole benchmark.
type EmbedReport struct {
	Runs       []EmbedRun `json:"runs"`
	QueryP50ms float64    `json:"query_p50_ms"`
	Device     string     `json:"device"`
	Runtime    string     `json:"onnxruntime"`
	Graph      string     `json:"graph"` // what Hoard's rewrite changed
}

// CutToTokens shortens each text to at most n tokens (specials included)
// at a word boundary, so every system measured sees the same input.
func CutToTokens(tok *infer.Tokenizer, texts []string, n int, mixed bool) []string {
	out := make([]string, 0, len(texts))
	limit := n
	for i, t := range texts {
		if mixed {
			// Lengths spread evenly from 32 to n, as real chunks are
			// (a section's last chunk, short notes, headings).
			n = 32 + (i*97)%(limit-31)
		}
		words := strings.Fields(t)
		// Shrink from an estimate, then word by word.
		if len(words) > n {
			words = words[:n]
		}
		for len(words) > 1 && tok.Count(strings.Join(words, " "))+2 > n {
			words = words[:len(words)*9/10]
		}
		out = append(out, strings.Join(words, " "))
	}
	return out
}

// Embed times passage embedding at each batch size, and single-query
// latency, through Hoard's embedder (the same path ingestion uses).
func Embed(ctx context.Context, opt EmbedOptions) (EmbedReport, error) {
	var rep EmbedReport
	rt, err := infer.Open(infer.Config{Threads: opt.Threads})
	if err != nil {
		return rep, err
	}
	defer rt.Close()
	rep.Runtime = rt.Version()
	for _, b := range opt.Batches {
		e, err := rt.Embedder(infer.EmbedderSpec{Model: opt.Model, Tokenizer: opt.Tokenizer, Pooling: "cls", Normalize: true, MaxLen: opt.Tokens, Batch: b, AsFile: opt.AsFile})
		if err != nil {
			return rep, err
		}
		rep.Device, rep.Graph = e.Device(), e.Rewrite().String()
		// Warm up: the first run plans memory.
		if _, err := e.EmbedPassages(ctx, opt.Texts[:min(len(opt.Texts), b)]); err != nil {
			return rep, err
		}
		tokens := 0
		for _, t := range opt.Texts {
			tokens += len(e.Tokenizer().Encode(t, opt.Tokens))
		}
		start := time.Now()
		if _, err := e.EmbedPassages(ctx, opt.Texts); err != nil {
			return rep, fmt.Errorf("batch %d: %w", b, err)
		}
		secs := time.Since(start).Seconds()
		rep.Runs = append(rep.Runs, EmbedRun{Batch: b, Seconds: secs, Texts: len(opt.Texts), ChunksPerSec: float64(len(opt.Texts)) / secs,
			AvgTokens: float64(tokens) / float64(len(opt.Texts))})
		if rep.QueryP50ms == 0 {
			var lat []time.Duration
			for i := range 30 {
				t0 := time.Now()
				if _, err := e.EmbedQuery(ctx, fmt.Sprintf("what do my notes say about the effect of vitamin D on bone density %d", i)); err != nil {
					return rep, err
				}
				lat = append(lat, time.Since(t0))
			}
			rep.QueryP50ms = Percentile(lat, 50)
		}
	}
	return rep, nil
}

// errStop ends a corpus walk early.
var errStop = fmt.Errorf("stop")

// EachCorpusText calls fn with "title. text" of each BEIR corpus record
// until fn returns false.
func EachCorpusText(file string, fn func(string) bool) error {
	err := eachJSON(file, func(raw []byte) error {
		var rec struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			return err
		}
		if !fn(strings.TrimSpace(rec.Title + ". " + rec.Text)) {
			return errStop
		}
		return nil
	})
	if err == errStop {
		return nil
	}
	return err
}
