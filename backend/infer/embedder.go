package infer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"sync/atomic"

	ort "github.com/yalue/onnxruntime_go"
	"golang.org/x/sync/errgroup"
)

// EmbedderSpec describes an embedding model on disk.
type EmbedderSpec struct {
	Model, Tokenizer string // paths: model.onnx, tokenizer.json
	Pooling          string // "cls" or "mean"
	Normalize        bool   // L2-normalize pooled vectors
	QueryPrefix      string // e5 "query: ", bge's instruction
	PassagePrefix    string // e5 "passage: "
	MaxLen           int    // tokens, specials included (default 512)
	Batch            int    // texts per run (default 1 on the CPU, 32 on CUDA)
	// AsFile runs the graph exactly as the file has it, without Hoard's
	// rewrite (Rewrite): for measuring what the rewrite gives.
	AsFile bool
}

// Embedder turns texts into vectors.
type Embedder struct {
	sess *Session
	// rewrite is what the session's graph has of Hoard's; with CLSOnly,
	// file is the file's own graph, for the token states.
	rewrite Rewrite
	file    func() (*Session, error)
	tok     *Tokenizer
	spec    EmbedderSpec
	types   bool // the model takes token_type_ids
	hidden  int
	// workers: batches run at once, each on one thread of a shared
	// one-thread session (on the CPU, one per configured thread).
	workers int
}

// Encoding is one text's output: its pooled vector and, when asked for,
// the hidden state of every token (multi-vector use).
type Encoding struct {
	Vector []float32
	States [][]float32
}

// Embedder loads an embedding model (shared with other users of the same
// file).
func (r *Runtime) Embedder(spec EmbedderSpec) (*Embedder, error) {
	if spec.MaxLen <= 0 {
		spec.MaxLen = 512
	}
	if spec.Pooling == "" {
		spec.Pooling = "cls"
	}
	if spec.Pooling != "cls" && spec.Pooling != "mean" {
		return nil, fmt.Errorf("embedder: unknown pooling %q (cls or mean)", spec.Pooling)
	}
	m, err := loadModel(spec.Model, spec.Tokenizer)
	if err != nil {
		return nil, fmt.Errorf("embedder: %w", err)
	}
	if m.dynamicQuant {
		// The int8 scale of each activation is computed over the whole
		// batch tensor, so a text's vector would depend on its batch mates
		// and their padding (cosine 0.993 against the text alone, measured
		// on SciFact): run such models one text at a time.
		spec.Batch = 1
	}
	tok, inputs, types, outs := m.tok, m.inputs, m.types, m.outputs
	out := outs[0]
	for _, o := range outs {
		if o.Name == "last_hidden_state" {
			out = o
		}
	}
	hidden := 0
	if d := out.Dimensions; len(d) == 3 && d[2] > 0 {
		hidden = int(d[2])
	}
	// On the CPU, texts run side by side, one per thread, rather than one
	// at a time on all threads: a text's matrices are too small to split
	// well, and a thread slowed by another process stalls only its own text,
	// not every operator of every text (bge-small int8, real SciFact
	// chunks, 2 cores busy with other work: 7.1 to 9.9 chunks/s against 3.2
	// to 4.2 on one two-thread session).
	threads, workers := r.Threads(), 1
	if r.cfg.Device != "cuda" && threads > 1 {
		threads, workers = 1, r.Threads()
	}
	outputs := []string{out.Name}
	file := func() (*Session, error) { return r.session(spec.Model, inputs, outputs, threads) }
	sess, rw, err := r.rewritten(spec, m, out.Name, inputs, threads)
	if err != nil {
		return nil, err
	}
	if sess == nil {
		if sess, err = file(); err != nil {
			return nil, err
		}
	}
	if spec.Batch <= 0 {
		// On the CPU one text at a time is fastest even with length
		// bucketing (bge-small fp32 on 2 cores, real SciFact chunks: 18.2
		// chunks/s alone, 17.3 by 4, 15.7 by 16); a GPU wants batches.
		spec.Batch = 1
		if sess.Device == "cuda" {
			spec.Batch = 32
		}
	}
	return &Embedder{sess: sess, rewrite: rw, file: file, tok: tok, spec: spec, types: types, hidden: hidden, workers: workers}, nil
}

// rewritten loads the graph with Hoard's rewrite (see Rewrite) when it is
// a float graph the rewrite matches; nil when it is not, or when the
// rewritten graph does not load (logged: the file's graph is used).
func (r *Runtime) rewritten(spec EmbedderSpec, m model, output string, inputs []string, threads int) (*Session, Rewrite, error) {
	if spec.AsFile || m.dynamicQuant {
		return nil, Rewrite{}, nil
	}
	cls := spec.Pooling == "cls"
	key := fmt.Sprintf("%s#rewritten,cls=%t,%s", spec.Model, cls, output)
	if s, rw := r.cached(key, threads); s != nil {
		return s, rw, nil
	}
	if r.asIs(key, false) {
		return nil, Rewrite{}, nil
	}
	data, err := os.ReadFile(spec.Model)
	if err != nil {
		return nil, Rewrite{}, fmt.Errorf("model file: %w", err)
	}
	graph, rw, err := rewriteGraph(data, cls, output)
	if err != nil {
		r.log.Warn("embedder graph not rewritten", "model", spec.Model, "err", err)
		r.asIs(key, true)
		return nil, Rewrite{}, nil
	}
	if !rw.Changed() {
		r.asIs(key, true)
		return nil, rw, nil
	}
	s, err := r.load(key, graph, rw, inputs, []string{output}, threads)
	if err != nil {
		r.log.Warn("rewritten embedder graph did not load; running the file's", "model", spec.Model, "rewrite", rw.String(), "err", err)
		r.asIs(key, true)
		return nil, Rewrite{}, nil
	}
	r.log.Debug("embedder graph rewritten", "model", spec.Model, "rewrite", rw.String())
	return s, rw, nil
}

// Rewrite is what Hoard changed in the model's graph.
func (e *Embedder) Rewrite() Rewrite { return e.rewrite }

// model is what loading a transformer file tells: its tokenizer (nil
// without a tokenizer file: then only pre-tokenized ids can run), its inputs
// and outputs.
type model struct {
	tok     *Tokenizer
	inputs  []string
	types   bool // takes token_type_ids
	outputs []ort.InputOutputInfo
	// dynamicQuant: the graph quantizes activations at run time
	// (DynamicQuantizeLinear), as the int8 exports do.
	dynamicQuant bool
}

func loadModel(path, tokenizer string) (model, error) {
	var m model
	if tokenizer != "" {
		var err error
		if m.tok, err = LoadTokenizer(tokenizer); err != nil {
			return m, err
		}
	}
	ins, outs, err := ort.GetInputOutputInfo(path)
	if err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	if len(outs) == 0 {
		return m, fmt.Errorf("%s: the model has no outputs", path)
	}
	m.inputs, m.outputs = []string{"input_ids", "attention_mask"}, outs
	if m.dynamicQuant, err = fileContains(path, []byte("DynamicQuantizeLinear")); err != nil {
		return m, err
	}
	for _, in := range ins {
		if in.Name == "token_type_ids" {
			m.inputs, m.types = append(m.inputs, "token_type_ids"), true
		}
	}
	return m, nil
}

// fileContains reports whether the file holds the bytes (an operator's
// name in an ONNX graph is stored as plain text), reading it in blocks.
func fileContains(path string, needle []byte) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20+len(needle))
	keep := 0
	for {
		n, err := io.ReadFull(f, buf[keep:])
		n += keep
		if bytes.Contains(buf[:n], needle) {
			return true, nil
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		keep = copy(buf, buf[n-len(needle):n])
	}
}

// Dim is the vector size (0 until known for models with a dynamic width).
func (e *Embedder) Dim() int { return e.hidden }

// Workers is how many batches run at once.
func (e *Embedder) Workers() int { return e.workers }

// Device says where the model runs.
func (e *Embedder) Device() string { return e.sess.Device }

// Tokenizer is the model's tokenizer.
func (e *Embedder) Tokenizer() *Tokenizer { return e.tok }

// EmbedQuery embeds a search query (with the model's query prefix).
func (e *Embedder) EmbedQuery(ctx context.Context, q string) ([]float32, error) {
	enc, err := e.Encode(ctx, []string{e.spec.QueryPrefix + q}, false)
	if err != nil {
		return nil, err
	}
	return enc[0].Vector, nil
}

// EmbedPassages embeds stored text (with the passage prefix).
func (e *Embedder) EmbedPassages(ctx context.Context, texts []string) ([][]float32, error) {
	in := make([]string, len(texts))
	for i, t := range texts {
		in[i] = e.spec.PassagePrefix + t
	}
	enc, err := e.Encode(ctx, in, false)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(enc))
	for i := range enc {
		out[i] = enc[i].Vector
	}
	return out, nil
}

// Encode tokenizes and runs texts as they are (no prefix).
func (e *Embedder) Encode(ctx context.Context, texts []string, states bool) ([]Encoding, error) {
	if e.tok == nil {
		return nil, fmt.Errorf("embedder: no tokenizer")
	}
	ids := make([][]int, len(texts))
	for i, t := range texts {
		ids[i] = e.tok.Encode(t, e.spec.MaxLen)
	}
	return e.EncodeIDs(ctx, ids, states)
}

// maxBatchTokens caps padded tokens per run, so a batch of long texts does
// not need a huge attention buffer.
const maxBatchTokens = 16384

// EncodeIDs runs token ids. Texts are grouped by length (bucketing), so a
// short text never pays for a long one's padding, and the batches run on
// the embedder's workers, longest first so that none is left alone at the
// end with a long one.
func (e *Embedder) EncodeIDs(ctx context.Context, ids [][]int, states bool) ([]Encoding, error) {
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(ids[order[a]]) > len(ids[order[b]]) })
	var batches [][]int // each a run of order
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && end-start < e.spec.Batch && (end-start+1)*len(ids[order[start]]) <= maxBatchTokens {
			end++
		}
		batches = append(batches, order[start:end])
		start = end
	}
	out := make([]Encoding, len(ids))
	var next atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	for range min(e.workers, len(batches)) {
		g.Go(func() error {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(batches) {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				batch := make([][]int, len(batches[i]))
				for j, k := range batches[i] {
					batch[j] = ids[k]
				}
				enc, err := e.run(batch, states)
				if err != nil {
					return err
				}
				for j, k := range batches[i] {
					out[k] = enc[j]
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// run evaluates one padded batch and pools it.
func (e *Embedder) run(batch [][]int, states bool) ([]Encoding, error) {
	b := len(batch)
	sess := e.sess
	if states && e.rewrite.CLSOnly {
		var err error
		if sess, err = e.file(); err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
	}
	hs, _, err := runPadded(sess, batch, nil, e.pad(), e.types)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	defer hs.Destroy()
	dims := hs.GetShape()
	if len(dims) != 3 || int(dims[0]) != b {
		return nil, fmt.Errorf("embed: output shape %v, want [batch, seq, hidden]", dims)
	}
	// t: the rows a text has in the output (its padded length, or 1 when
	// the last layer ran for the CLS token only).
	t, h := int(dims[1]), int(dims[2])
	data := hs.GetData()
	res := make([]Encoding, b)
	for i, ids := range batch {
		n := len(ids)
		row := data[i*t*h : (i+1)*t*h]
		vec := make([]float32, h)
		if e.spec.Pooling == "mean" {
			acc := make([]float64, h)
			for j := range n {
				for k := range h {
					acc[k] += float64(row[j*h+k])
				}
			}
			for k := range h {
				vec[k] = float32(acc[k] / float64(max(n, 1)))
			}
		} else {
			copy(vec, row[:h])
		}
		if e.spec.Normalize {
			Normalize(vec)
		}
		res[i].Vector = vec
		if states {
			res[i].States = make([][]float32, n)
			for j := range n {
				res[i].States[j] = slices.Clone(row[j*h : (j+1)*h])
			}
		}
	}
	return res, nil
}

// runPadded pads token ids (and segment types; nil means all 0) to the
// batch's longest, runs the session and returns its first output, which
// the caller destroys, with the padded length.
func runPadded(sess *Session, batch, types [][]int, pad int, withTypes bool) (*ort.Tensor[float32], int, error) {
	b, t := len(batch), 0
	for _, ids := range batch {
		t = max(t, len(ids))
	}
	idData, maskData, typeData := make([]int64, b*t), make([]int64, b*t), make([]int64, b*t)
	for i, ids := range batch {
		for j := range t {
			switch {
			case j >= len(ids):
				idData[i*t+j] = int64(pad)
			case types != nil:
				idData[i*t+j], maskData[i*t+j], typeData[i*t+j] = int64(ids[j]), 1, int64(types[i][j])
			default:
				idData[i*t+j], maskData[i*t+j] = int64(ids[j]), 1
			}
		}
	}
	shape := ort.NewShape(int64(b), int64(t))
	datas := [][]int64{idData, maskData}
	if withTypes {
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
			return nil, 0, err
		}
		inputs = append(inputs, v)
	}
	outs, err := sess.Run(inputs)
	if err != nil {
		return nil, 0, err
	}
	out, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		outs[0].Destroy()
		return nil, 0, fmt.Errorf("output is not float32")
	}
	return out, t, nil
}

func (e *Embedder) pad() int {
	if e.tok == nil {
		return 0
	}
	return e.tok.Pad()
}

// Normalize scales v to unit length in place (a zero vector stays zero).
func Normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}
