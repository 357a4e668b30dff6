package infer

import (
	"context"
	"fmt"
	"math"

	ort "github.com/yalue/onnxruntime_go"
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
	b, t := len(ids), 0
	for _, x := range ids {
		t = max(t, len(x))
	}
	idData, maskData, typeData := make([]int64, b*t), make([]int64, b*t), make([]int64, b*t)
	for i := range ids {
		for j := range t {
			if j < len(ids[i]) {
				idData[i*t+j], maskData[i*t+j], typeData[i*t+j] = int64(ids[i][j]), 1, int64(types[i][j])
			} else {
				if rr.tok != nil {
					idData[i*t+j] = int64(rr.tok.Pad())
				}
			}
		}
	}
	shape := ort.NewShape(int64(b), int64(t))
	datas := [][]int64{idData, maskData}
	if rr.types {
		datas = append(datas, typeData)
	}
	var inputs []ort.Value
	defer func() {
		for _, v := range inputs {
			v.Destroy()
		}
	}()
	for _, d := range datas {
		v, err := ort.NewTensor(shape, d)
		if err != nil {
			return nil, fmt.Errorf("rerank: %w", err)
		}
		inputs = append(inputs, v)
	}
	outs, err := rr.sess.Run(inputs)
	if err != nil {
		return nil, fmt.Errorf("rerank: %w", err)
	}
	defer outs[0].Destroy()
	lt, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("rerank: output is not float32")
	}
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
