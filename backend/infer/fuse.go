package infer

import (
	"fmt"
	"slices"

	"github.com/hoardvault/hoard/backend/onnxgraph"
)

// Rewrite says what Hoard changed in an embedder's graph before ONNX Runtime
// loaded it. The arithmetic is the file's; only the order of float
// operations within a layer norm changes (vectors equal the file's as run
// by Python onnxruntime at cosine 0.9999999 on SciFact).
type Rewrite struct {
	// SkipNorms: residual add, bias add and layer norm, as ONNX exports
	// spell them out in a dozen operators, fused into one
	// SkipLayerNormalization each. ONNX Runtime fuses the layer norm itself
	// but not the adds: its fusion needs shapes the exports leave unknown.
	SkipNorms int
	// CLSOnly: with CLS pooling only the first token's final state is
	// read, so the last layer computes its queries, attention, feed-forward
	// and norms for that token alone (keys and values still for all).
	CLSOnly bool
}

// Changed reports whether the graph was changed at all.
func (r Rewrite) Changed() bool { return r.SkipNorms > 0 || r.CLSOnly }

func (r Rewrite) String() string {
	if !r.Changed() {
		return "as the file has it"
	}
	s := fmt.Sprintf("%d skip layer norms fused", r.SkipNorms)
	if r.CLSOnly {
		s += ", last layer for the CLS token only"
	}
	return s
}

// rewriteGraph applies the rewrites that match a float BERT-family graph;
// a graph they do not match comes back unchanged. Graphs that quantize
// activations at run time are not given to it: there a different rounding
// in one layer flips int8 roundings in the next ones (cosine 0.998 against
// the file's vectors, measured), so only the file's exact operators keep
// the reference's vectors.
func rewriteGraph(data []byte, cls bool, output string) ([]byte, Rewrite, error) {
	m, err := onnxgraph.Parse(data)
	if err != nil {
		return nil, Rewrite{}, err
	}
	var r Rewrite
	r.SkipNorms = fuseSkipNorms(m.Graph)
	if cls {
		r.CLSOnly = lastLayerCLSOnly(m.Graph, output)
	}
	if !r.Changed() {
		return data, r, nil
	}
	if r.SkipNorms > 0 {
		m.Import("com.microsoft", 1)
	}
	dropDead(m.Graph)
	return m.Marshal(), r, nil
}

// fuseSkipNorms finds x = (MatMul + bias) + skip followed by the layer norm
// of x written out (mean, centre, variance, epsilon, square root, divide,
// scale, shift over the last axis) and puts one SkipLayerNormalization in
// its place.
func fuseSkipNorms(g *onnxgraph.Graph) int {
	ix := g.Index()
	gone := map[*onnxgraph.Node]bool{}
	put := map[*onnxgraph.Node]*onnxgraph.Node{}
	for _, mean := range g.Nodes {
		if mean.OpType != "ReduceMean" || mean.Domain != "" || !lastAxis(mean) {
			continue
		}
		f, ok := matchLayerNorm(ix, g, mean)
		if !ok {
			continue
		}
		sln := &onnxgraph.Node{
			OpType:  "SkipLayerNormalization",
			Domain:  "com.microsoft",
			Name:    f.shift.Name + "/skip_layer_norm",
			Inputs:  []string{f.matmul, f.skip, f.gamma, f.beta, f.bias},
			Outputs: []string{f.shift.Outputs[0]},
			Attrs:   []onnxgraph.Attr{onnxgraph.FloatAttr("epsilon", float32(f.eps))},
		}
		for _, n := range f.nodes {
			gone[n] = true
		}
		put[f.shift] = sln
	}
	if len(put) == 0 {
		return 0
	}
	nodes := g.Nodes[:0]
	for _, n := range g.Nodes {
		switch {
		case put[n] != nil:
			nodes = append(nodes, put[n])
		case !gone[n]:
			nodes = append(nodes, n)
		}
	}
	g.Nodes = nodes
	return len(put)
}

type skipNorm struct {
	matmul, skip, bias, gamma, beta string
	eps                             float64
	shift                           *onnxgraph.Node // the last node, whose output the fused node makes
	nodes                           []*onnxgraph.Node
}

func matchLayerNorm(ix *onnxgraph.Index, g *onnxgraph.Graph, mean *onnxgraph.Node) (skipNorm, bool) {
	var f skipNorm
	x := mean.Inputs[0]
	only := func(t, op string) *onnxgraph.Node {
		cs := ix.Consumers(t)
		if len(cs) != 1 || cs[0].OpType != op || cs[0].Domain != "" || ix.IsOutput(t) {
			return nil
		}
		return cs[0]
	}
	sub := only(mean.Outputs[0], "Sub")
	if sub == nil || !slices.Equal(sub.Inputs, []string{x, mean.Outputs[0]}) {
		return f, false
	}
	var pow, div *onnxgraph.Node
	for _, c := range ix.Consumers(sub.Outputs[0]) {
		switch {
		case c.OpType == "Pow" && c.Domain == "" && c.Inputs[0] == sub.Outputs[0]:
			pow = c
		case c.OpType == "Div" && c.Domain == "" && c.Inputs[0] == sub.Outputs[0]:
			div = c
		}
	}
	if pow == nil || div == nil || len(pow.Inputs) != 2 || len(ix.Consumers(sub.Outputs[0])) != 2 || ix.IsOutput(sub.Outputs[0]) {
		return f, false
	}
	if two, ok := ix.Scalar(pow.Inputs[1]); !ok || two != 2 {
		return f, false
	}
	vmean := only(pow.Outputs[0], "ReduceMean")
	if vmean == nil || !lastAxis(vmean) {
		return f, false
	}
	addEps := only(vmean.Outputs[0], "Add")
	if addEps == nil {
		return f, false
	}
	eps, ok := ix.Scalar(other(addEps, vmean.Outputs[0]))
	if !ok || eps <= 0 || eps > 1e-3 {
		return f, false
	}
	sqrt := only(addEps.Outputs[0], "Sqrt")
	if sqrt == nil || !slices.Equal(div.Inputs, []string{sub.Outputs[0], sqrt.Outputs[0]}) || len(ix.Consumers(sqrt.Outputs[0])) != 1 {
		return f, false
	}
	scale := only(div.Outputs[0], "Mul")
	if scale == nil {
		return f, false
	}
	shift := only(scale.Outputs[0], "Add")
	if shift == nil {
		return f, false
	}
	f.gamma, f.beta = other(scale, div.Outputs[0]), other(shift, scale.Outputs[0])
	width := vector(g, f.gamma)
	if width == 0 || vector(g, f.beta) != width {
		return f, false
	}
	// x = (MatMul + bias) + skip, x read by the norm alone.
	res := ix.ProducerOf(x, "Add")
	if res == nil || len(res.Inputs) != 2 || len(ix.Consumers(x)) != 2 || ix.IsOutput(x) {
		return f, false
	}
	for i, in := range res.Inputs {
		b := ix.ProducerOf(in, "Add")
		if b == nil || len(b.Inputs) != 2 || len(ix.Consumers(in)) != 1 || ix.IsOutput(in) {
			continue
		}
		for j, bin := range b.Inputs {
			mm := ix.ProducerOf(b.Inputs[1-j], "MatMul")
			if vector(g, bin) == width && mm != nil {
				f.bias, f.matmul, f.skip = bin, b.Inputs[1-j], res.Inputs[1-i]
				f.eps, f.shift = eps, shift
				f.nodes = []*onnxgraph.Node{b, res, mean, sub, pow, vmean, addEps, sqrt, div, scale, shift}
				return f, true
			}
		}
	}
	return f, false
}

// lastAxis: a ReduceMean over the last axis only, dimensions kept.
func lastAxis(n *onnxgraph.Node) bool {
	if k, ok := n.Attr("keepdims"); ok && k.I == 0 {
		return false
	}
	a, ok := n.Attr("axes")
	return ok && len(n.Inputs) == 1 && slices.Equal(a.Ints, []int64{-1})
}

// vector returns the length of a 1-D float initializer, else 0.
func vector(g *onnxgraph.Graph, name string) int64 {
	t, ok := g.Inits[name]
	if !ok || t.Type != onnxgraph.Float || len(t.Dims) != 1 {
		return 0
	}
	return t.Dims[0]
}

func other(n *onnxgraph.Node, in string) string {
	if len(n.Inputs) != 2 {
		return ""
	}
	if n.Inputs[0] == in {
		return n.Inputs[1]
	}
	return n.Inputs[0]
}

// lastLayerCLSOnly finds the last layer's attention (its softmax is the
// graph's last) and gives its query projection and its residual the first
// token's row alone: every later operator then works on that row. It
// needs the layer input to be read only by the key, query and value
// projections and the residual, so that no shape is taken from it.
func lastLayerCLSOnly(g *onnxgraph.Graph, output string) bool {
	ix := g.Index()
	var softmax *onnxgraph.Node
	for _, n := range g.Nodes {
		if n.OpType == "Softmax" && n.Domain == "" {
			softmax = n
		}
	}
	if softmax == nil || len(softmax.Inputs) == 0 || !ix.IsOutput(output) {
		return false
	}
	// softmax <- (Add mask) <- (Div | Mul scale) <- MatMul(q, k^T)
	t := softmax.Inputs[0]
	var scores *onnxgraph.Node
	for range 3 {
		n := ix.Producer(t)
		if n == nil || n.Domain != "" || len(n.Inputs) == 0 {
			return false
		}
		if n.OpType == "MatMul" {
			scores = n
			break
		}
		if n.OpType != "Add" && n.OpType != "Div" && n.OpType != "Mul" {
			return false
		}
		t = n.Inputs[0]
	}
	if scores == nil {
		return false
	}
	tq := ix.ProducerOf(scores.Inputs[0], "Transpose")
	if tq == nil || len(tq.Inputs) == 0 {
		return false
	}
	rq := ix.ProducerOf(tq.Inputs[0], "Reshape")
	if rq == nil || len(rq.Inputs) == 0 {
		return false
	}
	qadd := ix.ProducerOf(rq.Inputs[0], "Add")
	if qadd == nil || len(qadd.Inputs) != 2 {
		return false
	}
	var qmm *onnxgraph.Node
	for j, in := range qadd.Inputs {
		if vector(g, in) > 0 {
			qmm = ix.ProducerOf(qadd.Inputs[1-j], "MatMul")
		}
	}
	if qmm == nil || len(qmm.Inputs) != 2 || ix.IsOutput(qmm.Inputs[0]) {
		return false
	}
	x := qmm.Inputs[0]
	var residual *onnxgraph.Node
	projections := 0
	for _, c := range ix.Consumers(x) {
		switch {
		case c.OpType == "MatMul" && c.Domain == "" && c.Inputs[0] == x:
			projections++
		case residual == nil && (c.OpType == "Add" && c.Domain == "" || c.OpType == "SkipLayerNormalization" && c.Domain == "com.microsoft"):
			residual = c
		default:
			return false
		}
	}
	if residual == nil || projections != 3 {
		return false
	}
	row := x + "/cls"
	starts, ends, axes := row+"/starts", row+"/ends", row+"/axes"
	for _, c := range []struct {
		name string
		v    int64
	}{{starts, 0}, {ends, 1}, {axes, 1}} {
		g.AddInit(&onnxgraph.Tensor{Name: c.name, Dims: []int64{1}, Type: onnxgraph.Int64, Int64s: []int64{c.v}})
	}
	slice := &onnxgraph.Node{OpType: "Slice", Name: row, Inputs: []string{x, starts, ends, axes}, Outputs: []string{row}}
	at := slices.Index(g.Nodes, qmm)
	g.Nodes = slices.Insert(g.Nodes, at, slice)
	qmm.Inputs[0] = row
	for i, in := range residual.Inputs {
		if in == x {
			residual.Inputs[i] = row
		}
	}
	return true
}

// dropDead removes the nodes no graph output depends on (the constants
// the fused patterns read).
func dropDead(g *onnxgraph.Graph) {
	need := map[string]bool{}
	for _, o := range g.Outputs {
		need[o] = true
	}
	keep := make([]bool, len(g.Nodes))
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		for _, o := range n.Outputs {
			if need[o] {
				keep[i] = true
			}
		}
		if keep[i] {
			for _, in := range n.Inputs {
				need[in] = true
			}
		}
	}
	nodes := g.Nodes[:0]
	for i, n := range g.Nodes {
		if keep[i] {
			nodes = append(nodes, n)
		}
	}
	g.Nodes = nodes
}
