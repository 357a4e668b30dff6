package infer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"

	ort "github.com/yalue/onnxruntime_go"
)

// ErrWrongModel means a file is not the kind of model it was installed as
// (a VAD graph named as an embedder, an embedder of another width).
var ErrWrongModel = errors.New("not the model expected")

// probe is the sentence every embedder and reranker check runs.
const probe = "Hoard checks that this model turns a sentence into a vector."

// graph reads a model file's inputs and outputs.
func graph(path string) ([]ort.InputOutputInfo, []ort.InputOutputInfo, error) {
	ins, outs, err := ort.GetInputOutputInfo(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s is not an ONNX model ONNX Runtime can read: %v", ErrWrongModel, filepath.Base(path), err)
	}
	return ins, outs, nil
}

// wantInputs checks that a graph takes exactly the named inputs (optional
// ones may be absent) with the given element type and rank.
func wantInputs(path string, ins []ort.InputOutputInfo, need, optional []string, typ ort.TensorElementDataType, rank int) error {
	names := make([]string, 0, len(ins))
	for _, in := range ins {
		names = append(names, in.Name)
		if !slices.Contains(need, in.Name) && !slices.Contains(optional, in.Name) {
			return fmt.Errorf("%w: %s takes an input %q, want %v", ErrWrongModel, filepath.Base(path), in.Name, append(need, optional...))
		}
		if in.DataType != typ || (rank > 0 && len(in.Dimensions) != rank) {
			return fmt.Errorf("%w: %s input %q is %s of rank %d, want %s of rank %d", ErrWrongModel, filepath.Base(path), in.Name, in.DataType, len(in.Dimensions), typ, rank)
		}
	}
	for _, n := range need {
		if !slices.Contains(names, n) {
			return fmt.Errorf("%w: %s has no input %q (its inputs: %v)", ErrWrongModel, filepath.Base(path), n, names)
		}
	}
	return nil
}

var textInputs, textOptional = []string{"input_ids", "attention_mask"}, []string{"token_type_ids"}

// CheckEmbedder proves that spec names a text embedder of width dims (0:
// any): int64 token inputs, a [batch, seq, hidden] float output, and a
// probe sentence that comes out as a finite vector of that width.
func (r *Runtime) CheckEmbedder(ctx context.Context, spec EmbedderSpec, dims int) error {
	_, err := r.CheckedEmbedder(ctx, spec, dims)
	return err
}

// CheckedEmbedder loads an embedder after CheckEmbedder's checks, so a
// model is read once to be both checked and used.
func (r *Runtime) CheckedEmbedder(ctx context.Context, spec EmbedderSpec, dims int) (*Embedder, error) {
	ins, outs, err := graph(spec.Model)
	if err != nil {
		return nil, err
	}
	if err := wantInputs(spec.Model, ins, textInputs, textOptional, ort.TensorElementDataTypeInt64, 2); err != nil {
		return nil, err
	}
	out := outs[0]
	for _, o := range outs {
		if o.Name == "last_hidden_state" {
			out = o
		}
	}
	if out.DataType != ort.TensorElementDataTypeFloat || len(out.Dimensions) != 3 {
		return nil, fmt.Errorf("%w: %s output %q is %s of rank %d, want token states [batch, seq, hidden] as float", ErrWrongModel, filepath.Base(spec.Model), out.Name, out.DataType, len(out.Dimensions))
	}
	if d := out.Dimensions[2]; dims > 0 && d > 0 && int(d) != dims {
		return nil, fmt.Errorf("%w: %s gives %d-wide vectors, the catalog says %d", ErrWrongModel, filepath.Base(spec.Model), d, dims)
	}
	e, err := r.Embedder(spec)
	if err != nil {
		return nil, err
	}
	v, err := e.EmbedQuery(ctx, probe)
	if err != nil {
		return nil, fmt.Errorf("%w: the probe sentence failed: %v", ErrWrongModel, err)
	}
	if dims > 0 && len(v) != dims {
		return nil, fmt.Errorf("%w: the probe came out %d wide, the catalog says %d", ErrWrongModel, len(v), dims)
	}
	var norm float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%w: the probe's vector is not finite", ErrWrongModel)
		}
		norm += float64(x) * float64(x)
	}
	if norm == 0 {
		return nil, fmt.Errorf("%w: the probe's vector is all zeros", ErrWrongModel)
	}
	return e, nil
}

// CheckReranker proves that spec names a cross-encoder: token inputs and
// one finite score for a probe pair.
func (r *Runtime) CheckReranker(ctx context.Context, spec RerankerSpec) error {
	ins, _, err := graph(spec.Model)
	if err != nil {
		return err
	}
	if err := wantInputs(spec.Model, ins, textInputs, textOptional, ort.TensorElementDataTypeInt64, 2); err != nil {
		return err
	}
	rr, err := r.Reranker(spec)
	if err != nil {
		return err
	}
	s, err := rr.Rerank(ctx, "what does the check do", []string{probe})
	if err != nil {
		return fmt.Errorf("%w: the probe pair failed: %v", ErrWrongModel, err)
	}
	if len(s) != 1 || math.IsNaN(s[0]) {
		return fmt.Errorf("%w: the probe pair gave %v, want one score", ErrWrongModel, s)
	}
	return nil
}

// CheckVAD proves that path is a Silero VAD graph: it runs one window of
// silence.
func (r *Runtime) CheckVAD(ctx context.Context, path string) error {
	ins, _, err := graph(path)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(ins))
	for _, in := range ins {
		names = append(names, in.Name)
	}
	for _, n := range []string{"input", "state", "sr"} {
		if !slices.Contains(names, n) {
			return fmt.Errorf("%w: %s has no input %q (its inputs: %v); not a Silero VAD v5 model", ErrWrongModel, filepath.Base(path), n, names)
		}
	}
	v, err := r.VAD(path)
	if err != nil {
		return err
	}
	if _, err := v.Probabilities(ctx, make([]float32, VADWindow)); err != nil {
		return fmt.Errorf("%w: a window of silence failed: %v", ErrWrongModel, err)
	}
	return nil
}
