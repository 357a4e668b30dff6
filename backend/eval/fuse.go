package eval

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// FuseOptions name the two embedders of a fusion study and where their
// vaults are kept between runs.
type FuseOptions struct {
	Models             *models.Manager
	First, Second      string // embedders
	KeepFirst, KeepSec string // kept vault folders ("" : temporary)
	Depth              int    // documents per list (default 100)
	SecondWeights      []float64
}

// FuseRow is one configuration's figures.
type FuseRow struct {
	Config string  `json:"config"`
	NDCG10 float64 `json:"ndcg@10"`
	R5     float64 `json:"recall@5"`
	R100   float64 `json:"recall@100"`
}

// Fuse asks whether a second embedder lifts Hoard's hybrid ranking as a
// second stage: it ranks every query with the first embedder's hybrid
// pipeline and with the second one's (hybrid, and dense alone), then fuses
// the document lists by reciprocal rank (k = 60) with the second list at
// each weight. No product code changes: it is a study.
func Fuse(ctx context.Context, ds *Dataset, opt FuseOptions) ([]FuseRow, error) {
	if opt.Depth <= 0 {
		opt.Depth = 100
	}
	if len(opt.SecondWeights) == 0 {
		opt.SecondWeights = []float64{0.5, 1}
	}
	open := func(embedder, keep string) (*vault.Vault, func(), error) {
		o := search.DefaultOptions()
		benchStages(&o)
		v, done, err := keptVault(ctx, ds, vault.Options{Search: &o, Neural: vault.NeuralOptions{Models: opt.Models, Embedder: embedder, Reranker: "none"}}, keep)
		if err != nil {
			return nil, nil, err
		}
		st, err := v.Status(ctx)
		if err == nil && !st.Neural.HybridActive {
			err = fmt.Errorf("embedder %s is not in use: %s", embedder, st.Neural.Note)
		}
		if err != nil {
			done()
			return nil, nil, err
		}
		return v, done, nil
	}
	va, doneA, err := open(opt.First, opt.KeepFirst)
	if err != nil {
		return nil, err
	}
	defer doneA()
	vb, doneB, err := open(opt.Second, opt.KeepSec)
	if err != nil {
		return nil, err
	}
	defer doneB()
	prefix, err := filepath.Abs(ds.Corpus)
	if err != nil {
		return nil, err
	}
	prefix += "#"
	// only: "" the hybrid pipeline, "dense" the vector list alone, "keyword"
	// the keyword side alone.
	rank := func(v *vault.Vault, only string, q string) ([]string, error) {
		switch only {
		case "dense":
			v.Retune(ctx, func(o *search.Options) { o.Stages[search.StageKeyword] = false })
			defer v.Retune(ctx, func(o *search.Options) { o.Stages[search.StageKeyword] = true })
		case "keyword":
			v.Retune(ctx, func(o *search.Options) { o.Stages[search.StageDense] = false })
			defer v.Retune(ctx, func(o *search.Options) { o.Stages[search.StageDense] = true })
		}
		hits, err := v.Search(ctx, search.Request{Query: q, Limit: opt.Depth, PerDocument: true})
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(hits))
		for _, h := range hits {
			out = append(out, ds.docID(h.Path, prefix))
		}
		return out, nil
	}
	configs := []string{opt.First + " hybrid", opt.Second + " hybrid", opt.Second + " dense"}
	for _, w := range opt.SecondWeights {
		configs = append(configs, fmt.Sprintf("%s hybrid + %.2g × %s dense", opt.First, w, opt.Second),
			fmt.Sprintf("%s hybrid + %.2g × %s hybrid", opt.First, w, opt.Second),
			// What the second hybrid list adds beyond more weight on keywords:
			fmt.Sprintf("%s hybrid + %.2g × keywords alone", opt.First, w))
	}
	sums := make([]RetrievalReport, len(configs))
	n := 0
	for _, q := range ds.Queries {
		rel := ds.Qrels[q.ID]
		if len(rel) == 0 {
			continue
		}
		a, err := rank(va, "", q.Text)
		if err != nil {
			return nil, err
		}
		bh, err := rank(vb, "", q.Text)
		if err != nil {
			return nil, err
		}
		bd, err := rank(vb, "dense", q.Text)
		if err != nil {
			return nil, err
		}
		kw, err := rank(va, "keyword", q.Text)
		if err != nil {
			return nil, err
		}
		lists := [][]string{a, bh, bd}
		for _, w := range opt.SecondWeights {
			lists = append(lists, rrf(opt.Depth, a, bd, w), rrf(opt.Depth, a, bh, w), rrf(opt.Depth, a, kw, w))
		}
		for i, l := range lists {
			add(&sums[i], Score(l, rel))
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("dataset %s: no judged queries", ds.Name)
	}
	rows := make([]FuseRow, len(configs))
	for i, c := range configs {
		var r RetrievalReport
		average(&r, sums[i], n)
		rows[i] = FuseRow{Config: c, NDCG10: r.NDCG10, R5: r.Recall5, R100: r.Recall100}
	}
	return rows, nil
}

// rrf fuses two ranked lists by reciprocal rank, the second weighted w.
func rrf(depth int, a, b []string, w float64) []string {
	score := map[string]float64{}
	for i, id := range a {
		score[id] += 1 / float64(60+i+1)
	}
	for i, id := range b {
		score[id] += w / float64(60+i+1)
	}
	ids := make([]string, 0, len(score))
	for id := range score {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if score[ids[i]] != score[ids[j]] {
			return score[ids[i]] > score[ids[j]]
		}
		return ids[i] < ids[j]
	})
	if len(ids) > depth {
		ids = ids[:depth]
	}
	return ids
}
