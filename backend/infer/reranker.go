package infer

import (
	"context"
	"fmt"
	"math"
)

// RerankerSpec describes a cross-encoder on disk.
type RerankerSpec struct {
	Model, Tokenizer string
	MaxLen           int  // default 512
	Batch            int  // default 16
	DoubleSeparator  bool // RoBERTa-family pair layout (bge-reranker)
}

// Reranker scores (query, passage) pairs with a cross-encoder.
type Reranker struct {
	sess  *Session
	tok   *Tokenizer
	spec  RerankerSpec
	types bool
}

// Reranker loads a cross-encoder.
func (r *Runtime) Reranker(spec RerankerSpec) (*Reranker, error) {
	if spec.MaxLen <= 0 {
		spec.MaxLen = 512
	}
	if spec.Batch <= 0 {
		spec.Batch = 16
	}
	m, err := loadModel(spec.Model, spec.Tokenizer)
	if err != nil {
		return nil, fmt.Errorf("reranker: %w", err)
	}
	sess, err := r.Session(spec.Model, m.inputs, []string{m.outputs[0].Name})
	if err != nil {
		return nil, err
	}
	return &Reranker{sess: sess, tok: m.tok, spec: spec, types: m.types}, nil
}

// Rerank returns one relevance in (0, 1) per passage (the sigmoid of the
// model's logit), in the passages' order.
func (rr *Reranker) Rerank(ctx context.Context, query string, passages []string) ([]float64, error) {
	if rr.tok == nil {
		return nil, fmt.Errorf("reranker: no tokenizer")
	}
	ids := make([][]int, len(passages))
	types := make([][]int, len(passages))
	for i, p := range passages {
		ids[i], types[i] = rr.tok.EncodePair(query, p, rr.spec.MaxLen, rr.spec.DoubleSeparator)
	}
	return rr.ScoreIDs(ctx, ids, types)
}

// ScoreIDs runs tokenized pairs.
func (rr *Reranker) ScoreIDs(ctx context.Context, ids, types [][]int) ([]float64, error) {
	out := make([]float64, 0, len(ids))
	for start := 0; start < len(ids); start += rr.spec.Batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := min(len(ids), start+rr.spec.Batch)
		logits, err := rr.run(ids[start:end], types[start:end])
		if err != nil {
			return nil, err
		}
		for _, l := range logits {
			out = append(out, 1/(1+math.Exp(-l)))
		}
	}
	return out, nil
}

// run returns the raw logits of one batch.
func (rr *Reranker) run(ids, types [][]int) ([]float64, error) {
	b := len(ids)
	pad := 0
	if rr.tok != nil {
		pad = rr.tok.Pad()
	}
	lt, _, err := runPadded(rr.sess, ids, types, pad, rr.types)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	defer lt.Destroy()
	data := lt.GetData()
	if len(data) == 0 || len(data)%b != 0 {
		return nil, fmt.Errorf("rerank: %d outputs for %d pairs", len(data), b)
	}
	per := len(data) / b // 1 logit, or 2 classes (take "relevant")
	res := make([]float64, b)
	for i := range res {
		res[i] = float64(data[i*per+per-1])
	}
	return res, nil
}
