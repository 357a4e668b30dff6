// Package onnxgraph opens an ONNX model for editing its graph: the nodes
// are decoded, everything else (weights, inputs, outputs, metadata) is kept
// as the file's own bytes and written back unchanged.
//
// Written by hand over protowire rather than generated from onnx.proto:
// only a few fields of four messages matter here, and a 130 MB weight file
// must pass through without being decoded into Go values.
package onnxgraph

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers from onnx.proto.
const (
	modelOpset = 8
	modelGraph = 7

	graphNode = 1
	graphInit = 5
	graphOut  = 12

	nodeInput  = 1
	nodeOutput = 2
	nodeName   = 3
	nodeOp     = 4
	nodeAttr   = 5
	nodeDomain = 7

	attrName  = 1
	attrF     = 2
	attrI     = 3
	attrT     = 5
	attrInts  = 8
	attrType  = 20
	attrTypeF = 1
	attrTypeI = 2
	attrTypeT = 4
	attrTypeN = 7 // INTS

	tensorDims   = 1
	tensorType   = 2
	tensorFloats = 4
	tensorInt64s = 7
	tensorName   = 8
	tensorRaw    = 9

	opsetDomain  = 1
	opsetVersion = 2
)

// ONNX tensor element types used here.
const (
	Float = 1
	Int64 = 7
)

// Model is a parsed ONNX model.
type Model struct {
	rest   [][]byte // the model's other fields, as read (slices of the file)
	Opsets []Opset
	Graph  *Graph
}

// Opset is an operator set the model imports.
type Opset struct {
	Domain  string
	Version int64
}

// Graph is the model's main graph.
type Graph struct {
	Nodes []*Node
	// Inits are the initializers by name, decoded as far as Const needs.
	Inits   map[string]*Tensor
	Outputs []string
	rest    [][]byte // inputs, outputs, initializers, value infos, as read (slices of the file)
	added   []*Tensor
}

// Node is one operator.
type Node struct {
	Inputs, Outputs      []string
	Name, OpType, Domain string
	Attrs                []Attr
	rest                 []byte // doc string and the like, as read
}

// Attr is a node attribute. One read from the file is written back as it
// was read (raw), whatever it holds; only the fields below are decoded.
type Attr struct {
	Name string
	Type int64
	F    float32
	I    int64
	Ints []int64
	T    *Tensor
	raw  []byte
}

// Tensor is a tensor's name, shape, type and data.
type Tensor struct {
	Name   string
	Dims   []int64
	Type   int64
	Floats []float32
	Int64s []int64
	Raw    []byte
}

// Parse reads an ONNX model. The model keeps references into data.
func Parse(data []byte) (*Model, error) {
	m := &Model{}
	err := fields(data, func(num protowire.Number, typ protowire.Type, v []byte, whole []byte) error {
		switch {
		case num == modelGraph && typ == protowire.BytesType:
			g, err := parseGraph(v)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			m.Graph = g
		case num == modelOpset && typ == protowire.BytesType:
			var o Opset
			if err := fields(v, func(n protowire.Number, t protowire.Type, b []byte, _ []byte) error {
				switch {
				case n == opsetDomain && t == protowire.BytesType:
					o.Domain = string(b)
				case n == opsetVersion && t == protowire.VarintType:
					o.Version = int64(varint(b))
				}
				return nil
			}); err != nil {
				return err
			}
			m.Opsets = append(m.Opsets, o)
		default:
			m.rest = append(m.rest, whole)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("onnx model: %w", err)
	}
	if m.Graph == nil {
		return nil, errors.New("onnx model: no graph")
	}
	return m, nil
}

func parseGraph(data []byte) (*Graph, error) {
	g := &Graph{Inits: map[string]*Tensor{}}
	err := fields(data, func(num protowire.Number, typ protowire.Type, v []byte, whole []byte) error {
		switch {
		case num == graphNode && typ == protowire.BytesType:
			n, err := parseNode(v)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.Nodes), err)
			}
			g.Nodes = append(g.Nodes, n)
			return nil
		case num == graphInit && typ == protowire.BytesType:
			t, err := parseTensor(v)
			if err != nil {
				return fmt.Errorf("initializer: %w", err)
			}
			g.Inits[t.Name] = t
		case num == graphOut && typ == protowire.BytesType:
			// ValueInfoProto: its name is field 1.
			if err := fields(v, func(n protowire.Number, t protowire.Type, b []byte, _ []byte) error {
				if n == 1 && t == protowire.BytesType {
					g.Outputs = append(g.Outputs, string(b))
				}
				return nil
			}); err != nil {
				return err
			}
		}
		g.rest = append(g.rest, whole)
		return nil
	})
	return g, err
}

func parseNode(data []byte) (*Node, error) {
	n := &Node{}
	err := fields(data, func(num protowire.Number, typ protowire.Type, v []byte, whole []byte) error {
		if typ != protowire.BytesType {
			n.rest = append(n.rest, whole...)
			return nil
		}
		switch num {
		case nodeInput:
			n.Inputs = append(n.Inputs, string(v))
		case nodeOutput:
			n.Outputs = append(n.Outputs, string(v))
		case nodeName:
			n.Name = string(v)
		case nodeOp:
			n.OpType = string(v)
		case nodeDomain:
			n.Domain = string(v)
		case nodeAttr:
			a, err := parseAttr(v)
			if err != nil {
				return fmt.Errorf("attribute: %w", err)
			}
			n.Attrs = append(n.Attrs, a)
		default:
			n.rest = append(n.rest, whole...)
		}
		return nil
	})
	return n, err
}

func parseAttr(data []byte) (Attr, error) {
	a := Attr{raw: data}
	err := fields(data, func(num protowire.Number, typ protowire.Type, v []byte, _ []byte) error {
		switch {
		case num == attrName && typ == protowire.BytesType:
			a.Name = string(v)
		case num == attrType && typ == protowire.VarintType:
			a.Type = int64(varint(v))
		case num == attrF && typ == protowire.Fixed32Type:
			a.F = math.Float32frombits(binary.LittleEndian.Uint32(v))
		case num == attrI && typ == protowire.VarintType:
			a.I = int64(varint(v))
		case num == attrInts && typ == protowire.VarintType:
			a.Ints = append(a.Ints, int64(varint(v)))
		case num == attrInts && typ == protowire.BytesType:
			var err error
			a.Ints, err = packed(a.Ints, v)
			return err
		case num == attrT && typ == protowire.BytesType:
			t, err := parseTensor(v)
			if err != nil {
				return err
			}
			a.T = t
		}
		return nil
	})
	return a, err
}

// Tensor data is decoded only for the small types the rewrites read.
func parseTensor(data []byte) (*Tensor, error) {
	t := &Tensor{}
	err := fields(data, func(num protowire.Number, typ protowire.Type, v []byte, _ []byte) error {
		switch {
		case num == tensorName && typ == protowire.BytesType:
			t.Name = string(v)
		case num == tensorType && typ == protowire.VarintType:
			t.Type = int64(varint(v))
		case num == tensorDims && typ == protowire.VarintType:
			t.Dims = append(t.Dims, int64(varint(v)))
		case num == tensorDims && typ == protowire.BytesType:
			var err error
			t.Dims, err = packed(t.Dims, v)
			return err
		case num == tensorRaw && typ == protowire.BytesType:
			t.Raw = v
		case num == tensorFloats && typ == protowire.BytesType:
			for ; len(v) >= 4; v = v[4:] {
				t.Floats = append(t.Floats, math.Float32frombits(binary.LittleEndian.Uint32(v)))
			}
		case num == tensorFloats && typ == protowire.Fixed32Type:
			t.Floats = append(t.Floats, math.Float32frombits(binary.LittleEndian.Uint32(v)))
		case num == tensorInt64s && typ == protowire.BytesType:
			var err error
			t.Int64s, err = packed(t.Int64s, v)
			return err
		case num == tensorInt64s && typ == protowire.VarintType:
			t.Int64s = append(t.Int64s, int64(varint(v)))
		}
		return nil
	})
	return t, err
}

// fields calls fn with each field's number, type, value bytes (a varint or
// fixed value's own encoding, a length-delimited field's contents) and the
// whole field as read.
func fields(data []byte, fn func(protowire.Number, protowire.Type, []byte, []byte) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		m := protowire.ConsumeFieldValue(num, typ, data[n:])
		if m < 0 {
			return protowire.ParseError(m)
		}
		v := data[n : n+m]
		if typ == protowire.BytesType {
			b, k := protowire.ConsumeBytes(v)
			if k < 0 {
				return protowire.ParseError(k)
			}
			v = b
		}
		if err := fn(num, typ, v, data[:n+m]); err != nil {
			return err
		}
		data = data[n+m:]
	}
	return nil
}

// packed appends a packed run of varints to out.
func packed(out []int64, v []byte) ([]int64, error) {
	for len(v) > 0 {
		x, k := protowire.ConsumeVarint(v)
		if k < 0 {
			return out, protowire.ParseError(k)
		}
		out, v = append(out, int64(x)), v[k:]
	}
	return out, nil
}

func varint(b []byte) uint64 {
	x, _ := protowire.ConsumeVarint(b)
	return x
}

// Marshal writes the model back: the graph's nodes as they are now, new
// initializers after the old ones, the rest as read. The weights are
// copied once, into an output sized in advance.
func (m *Model) Marshal() []byte {
	var nodes, added []byte
	for _, n := range m.Graph.Nodes {
		nodes = protowire.AppendTag(nodes, graphNode, protowire.BytesType)
		nodes = protowire.AppendBytes(nodes, n.marshal())
	}
	for _, t := range m.Graph.added {
		added = protowire.AppendTag(added, graphInit, protowire.BytesType)
		added = protowire.AppendBytes(added, t.marshal())
	}
	graph := len(nodes) + len(added)
	for _, b := range m.Graph.rest {
		graph += len(b)
	}
	size := graph + 64*len(m.Opsets) + 16
	for _, b := range m.rest {
		size += len(b)
	}
	out := make([]byte, 0, size)
	for _, b := range m.rest {
		out = append(out, b...)
	}
	for _, o := range m.Opsets {
		var b []byte
		if o.Domain != "" {
			b = protowire.AppendTag(b, opsetDomain, protowire.BytesType)
			b = protowire.AppendString(b, o.Domain)
		}
		b = protowire.AppendTag(b, opsetVersion, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(o.Version))
		out = protowire.AppendTag(out, modelOpset, protowire.BytesType)
		out = protowire.AppendBytes(out, b)
	}
	out = protowire.AppendTag(out, modelGraph, protowire.BytesType)
	out = protowire.AppendVarint(out, uint64(graph))
	out = append(out, nodes...)
	for _, b := range m.Graph.rest {
		out = append(out, b...)
	}
	return append(out, added...)
}

func (n *Node) marshal() []byte {
	var b []byte
	str := func(num protowire.Number, s string) {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range n.Inputs {
		str(nodeInput, s)
	}
	for _, s := range n.Outputs {
		str(nodeOutput, s)
	}
	if n.Name != "" {
		str(nodeName, n.Name)
	}
	str(nodeOp, n.OpType)
	for _, a := range n.Attrs {
		b = protowire.AppendTag(b, nodeAttr, protowire.BytesType)
		b = protowire.AppendBytes(b, a.marshal())
	}
	if n.Domain != "" {
		str(nodeDomain, n.Domain)
	}
	return append(b, n.rest...)
}

func (a Attr) marshal() []byte {
	if a.raw != nil {
		return a.raw
	}
	var b []byte
	b = protowire.AppendTag(b, attrName, protowire.BytesType)
	b = protowire.AppendString(b, a.Name)
	switch a.Type {
	case attrTypeF:
		b = protowire.AppendTag(b, attrF, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case attrTypeI:
		b = protowire.AppendTag(b, attrI, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.I))
	case attrTypeT:
		b = protowire.AppendTag(b, attrT, protowire.BytesType)
		b = protowire.AppendBytes(b, a.T.marshal())
	case attrTypeN:
		for _, x := range a.Ints {
			b = protowire.AppendTag(b, attrInts, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(x))
		}
	}
	b = protowire.AppendTag(b, attrType, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(a.Type))
}

func (t *Tensor) marshal() []byte {
	var b []byte
	for _, d := range t.Dims {
		b = protowire.AppendTag(b, tensorDims, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(d))
	}
	b = protowire.AppendTag(b, tensorType, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(t.Type))
	for _, f := range t.Floats {
		b = protowire.AppendTag(b, tensorFloats, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(f))
	}
	for _, x := range t.Int64s {
		b = protowire.AppendTag(b, tensorInt64s, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(x))
	}
	if t.Name != "" {
		b = protowire.AppendTag(b, tensorName, protowire.BytesType)
		b = protowire.AppendString(b, t.Name)
	}
	if t.Raw != nil {
		b = protowire.AppendTag(b, tensorRaw, protowire.BytesType)
		b = protowire.AppendBytes(b, t.Raw)
	}
	return b
}

// FloatAttr and IntAttr make attributes; IntsAttr a list of integers.
func FloatAttr(name string, f float32) Attr { return Attr{Name: name, Type: attrTypeF, F: f} }

// IntAttr makes an integer attribute.
func IntAttr(name string, i int64) Attr { return Attr{Name: name, Type: attrTypeI, I: i} }

// IntsAttr makes an attribute holding integers.
func IntsAttr(name string, ints ...int64) Attr { return Attr{Name: name, Type: attrTypeN, Ints: ints} }

// Attr returns the node's attribute of that name.
func (n *Node) Attr(name string) (Attr, bool) {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}

// AddInit adds an initializer, written after the model's own.
func (g *Graph) AddInit(t *Tensor) {
	g.Inits[t.Name] = t
	g.added = append(g.added, t)
}

// Import adds an operator set to the model unless it imports one of that
// domain already.
func (m *Model) Import(domain string, version int64) {
	for _, o := range m.Opsets {
		if o.Domain == domain {
			return
		}
	}
	m.Opsets = append(m.Opsets, Opset{Domain: domain, Version: version})
}

// Values returns a tensor's data as float64s, from whichever field holds
// it (float or int64 tensors only).
func (t *Tensor) Values() ([]float64, bool) {
	switch t.Type {
	case Float:
		if t.Raw != nil {
			if len(t.Raw)%4 != 0 {
				return nil, false
			}
			out := make([]float64, len(t.Raw)/4)
			for i := range out {
				out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(t.Raw[4*i:])))
			}
			return out, true
		}
		out := make([]float64, len(t.Floats))
		for i, f := range t.Floats {
			out[i] = float64(f)
		}
		return out, true
	case Int64:
		if t.Raw != nil {
			if len(t.Raw)%8 != 0 {
				return nil, false
			}
			out := make([]float64, len(t.Raw)/8)
			for i := range out {
				out[i] = float64(int64(binary.LittleEndian.Uint64(t.Raw[8*i:])))
			}
			return out, true
		}
		out := make([]float64, len(t.Int64s))
		for i, x := range t.Int64s {
			out[i] = float64(x)
		}
		return out, true
	}
	return nil, false
}

// Index maps a graph's tensors to the nodes that make and read them, as the
// graph stands when it is built.
type Index struct {
	g    *Graph
	prod map[string]*Node
	cons map[string][]*Node
}

// Index builds the graph's index.
func (g *Graph) Index() *Index {
	ix := &Index{g: g, prod: map[string]*Node{}, cons: map[string][]*Node{}}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			ix.prod[o] = n
		}
		for _, i := range n.Inputs {
			ix.cons[i] = append(ix.cons[i], n)
		}
	}
	return ix
}

// Producer is the node whose output the tensor is (nil for graph inputs
// and initializers).
func (ix *Index) Producer(name string) *Node { return ix.prod[name] }

// Consumers are the nodes reading the tensor.
func (ix *Index) Consumers(name string) []*Node { return ix.cons[name] }

// ProducerOf returns the node making the tensor if it is a standard
// operator of that type, else nil.
func (ix *Index) ProducerOf(name, op string) *Node {
	if n := ix.prod[name]; n != nil && n.OpType == op && n.Domain == "" {
		return n
	}
	return nil
}

// IsOutput reports whether the tensor is one of the graph's outputs.
func (ix *Index) IsOutput(name string) bool {
	for _, o := range ix.g.Outputs {
		if o == name {
			return true
		}
	}
	return false
}

// Const returns a constant tensor's values: an initializer's or a Constant
// node's (float or int64 only).
func (ix *Index) Const(name string) ([]float64, bool) {
	if t, ok := ix.g.Inits[name]; ok {
		return t.Values()
	}
	if n := ix.ProducerOf(name, "Constant"); n != nil {
		if a, ok := n.Attr("value"); ok && a.T != nil {
			return a.T.Values()
		}
	}
	return nil, false
}

// Scalar returns a constant holding one value.
func (ix *Index) Scalar(name string) (float64, bool) {
	v, ok := ix.Const(name)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}
