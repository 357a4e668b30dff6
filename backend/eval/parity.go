package eval

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/models"
)

// ParityOptions name the installed embedder to score.
type ParityOptions struct {
	Models string // models folder
	Name   string // installed embedder
	ORTLib string // ONNX Runtime library ("" finds it)
	Device string
}

// DenseParity scores an embedder the way reference figures are made
// (MTEB's BEIR protocol): one vector per document, its title and text cut at
// the model's length limit, exact cosine search, NDCG@10. It leaves Hoard's
// chunking and index out, so a gap to the reference figure points at the
// tokenizer or the pooling.
func DenseParity(ctx context.Context, ds *Dataset, opt ParityOptions) (RetrievalReport, error) {
	rep := RetrievalReport{Dataset: ds.Name, Embedder: opt.Name, Config: "one vector per document, exact search"}
	if ds.Pages || ds.Toy {
		return rep, fmt.Errorf("parity needs a BEIR dataset")
	}
	spec, ok := models.Builtin().Find(opt.Name)
	if !ok || spec.Role != models.RoleEmbedder {
		return rep, fmt.Errorf("%s is not an embedder in the catalog", opt.Name)
	}
	dir := filepath.Join(opt.Models, opt.Name)
	rt, err := infer.Open(infer.Config{LibPath: opt.ORTLib, Device: opt.Device})
	if err != nil {
		return rep, err
	}
	defer rt.Close()
	e, err := rt.CheckedEmbedder(ctx, infer.EmbedderSpec{Model: filepath.Join(dir, "model.onnx"), Tokenizer: filepath.Join(dir, "tokenizer.json"),
		Pooling: spec.Pooling, Normalize: spec.Normalize, QueryPrefix: spec.QueryPrefix, PassagePrefix: spec.PassagePrefix, MaxLen: spec.MaxLen}, spec.Dims)
	if err != nil {
		return rep, fmt.Errorf("%s: %w", opt.Name, err)
	}
	var ids, texts []string
	err = eachJSON(ds.Corpus, func(raw []byte) error {
		var d struct {
			ID    string `json:"_id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		ids, texts = append(ids, d.ID), append(texts, d.Title+"\n\n"+d.Text)
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("corpus: %w", err)
	}
	start := time.Now()
	docs, err := e.EmbedPassages(ctx, texts)
	if err != nil {
		return rep, err
	}
	rep.IngestSeconds, rep.Docs = time.Since(start).Seconds(), len(docs)
	var sum RetrievalReport
	type scored struct {
		id    string
		score float32
	}
	all := make([]scored, len(docs))
	var lat []time.Duration
	for _, q := range ds.Queries {
		t0 := time.Now()
		qv, err := e.EmbedQuery(ctx, q.Text)
		if err != nil {
			return rep, err
		}
		for i, d := range docs {
			var dot float32
			for j := range qv {
				dot += qv[j] * d[j]
			}
			all[i] = scored{ids[i], dot}
		}
		slices.SortFunc(all, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
		lat = append(lat, time.Since(t0))
		ranked := make([]string, 0, 100)
		for _, s := range all[:min(100, len(all))] {
			ranked = append(ranked, s.id)
		}
		add(&sum, Score(ranked, ds.Qrels[q.ID]))
	}
	average(&rep, sum, len(ds.Queries))
	rep.P50ms, rep.P95ms, rep.P99ms = Percentile(lat, 50), Percentile(lat, 95), Percentile(lat, 99)
	return rep, nil
}
