package onnxgraph

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// A real export read and written back unchanged parses to the same graph,
// keeps every initializer's bytes, and writes the same bytes again.
func TestRoundTripRealModel(t *testing.T) {
	for _, name := range []string{"bge-small-en-v1.5", "bge-small-en-v1.5-int8"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(testdata.Model(t, name), "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Graph.Nodes) == 0 || len(m.Graph.Inits) == 0 || len(m.Graph.Outputs) == 0 {
				t.Fatalf("%d nodes, %d initializers, %d outputs", len(m.Graph.Nodes), len(m.Graph.Inits), len(m.Graph.Outputs))
			}
			out := m.Marshal()
			// Field order may differ from the exporter's, not the size.
			if d := len(out) - len(data); d < -64 || d > 64 {
				t.Errorf("written %d bytes, read %d", len(out), len(data))
			}
			again, err := Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Graph.Nodes) != len(m.Graph.Nodes) || len(again.Graph.Inits) != len(m.Graph.Inits) {
				t.Fatalf("%d nodes and %d initializers after writing, %d and %d before", len(again.Graph.Nodes), len(again.Graph.Inits), len(m.Graph.Nodes), len(m.Graph.Inits))
			}
			for i, n := range m.Graph.Nodes {
				a := again.Graph.Nodes[i]
				if a.OpType != n.OpType || a.Domain != n.Domain || len(a.Attrs) != len(n.Attrs) || !slices.Equal(a.Inputs, n.Inputs) || !slices.Equal(a.Outputs, n.Outputs) {
					t.Fatalf("node %d %s changed on writing: %+v", i, n.OpType, a)
				}
			}
			for k, v := range m.Graph.Inits {
				if !bytes.Equal(again.Graph.Inits[k].Raw, v.Raw) {
					t.Fatalf("initializer %s changed", k)
				}
			}
			if !bytes.Equal(again.Marshal(), out) {
				t.Errorf("writing twice gives different bytes")
			}
		})
	}
}

// Made nodes, attributes and initializers read back as written; constants
// read from initializers and Constant nodes alike.
func TestBuiltGraph(t *testing.T) {
	m := &Model{Graph: &Graph{Inits: map[string]*Tensor{}}}
	m.Import("", 11)
	m.Import("com.microsoft", 1)
	m.Import("com.microsoft", 2) // already imported: kept at 1
	g := m.Graph
	g.AddInit(&Tensor{Name: "two", Dims: []int64{1}, Type: Int64, Int64s: []int64{2}})
	g.AddInit(&Tensor{Name: "half", Type: Float, Raw: []byte{0, 0, 0, 0x3f}})
	g.Nodes = append(g.Nodes,
		&Node{OpType: "Constant", Outputs: []string{"c"}, Attrs: []Attr{{Name: "value", Type: attrTypeT, T: &Tensor{Type: Float, Floats: []float32{1.5}}}}},
		&Node{OpType: "SkipLayerNormalization", Domain: "com.microsoft", Name: "n", Inputs: []string{"x", "c"}, Outputs: []string{"y"},
			Attrs: []Attr{FloatAttr("epsilon", 1e-12), IntAttr("k", -3), IntsAttr("perm", 0, 2, 1, 3)}})
	back, err := Parse(m.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Opsets) != 2 || back.Opsets[1] != (Opset{"com.microsoft", 1}) {
		t.Errorf("opsets %v", back.Opsets)
	}
	n := back.Graph.Nodes[1]
	if n.OpType != "SkipLayerNormalization" || n.Domain != "com.microsoft" || n.Name != "n" || !slices.Equal(n.Inputs, []string{"x", "c"}) || !slices.Equal(n.Outputs, []string{"y"}) {
		t.Fatalf("node %+v", n)
	}
	eps, _ := n.Attr("epsilon")
	k, _ := n.Attr("k")
	perm, _ := n.Attr("perm")
	if eps.F != 1e-12 || k.I != -3 || len(perm.Ints) != 4 || perm.Ints[1] != 2 {
		t.Errorf("attributes %+v %+v %+v", eps, k, perm)
	}
	ix := back.Graph.Index()
	for name, want := range map[string]float64{"two": 2, "half": 0.5, "c": 1.5} {
		if v, ok := ix.Scalar(name); !ok || v != want {
			t.Errorf("%s = %v %v, want %v", name, v, ok, want)
		}
	}
	if ix.Producer("y") != back.Graph.Nodes[1] || len(ix.Consumers("c")) != 1 || ix.ProducerOf("c", "Constant") == nil {
		t.Errorf("index wrong")
	}
}

// Parsing bad bytes is an error, never a panic, and what parses writes
// back to something that parses to the same nodes.
func FuzzParse(f *testing.F) {
	m := &Model{Graph: &Graph{Inits: map[string]*Tensor{}}}
	m.Import("", 11)
	m.Graph.AddInit(&Tensor{Name: "w", Dims: []int64{2}, Type: Float, Floats: []float32{1, 2}})
	m.Graph.Nodes = []*Node{{OpType: "Add", Inputs: []string{"a", "w"}, Outputs: []string{"b"}, Attrs: []Attr{IntsAttr("axes", -1)}}}
	f.Add(m.Marshal())
	f.Add([]byte{0x3a, 0x02, 0x0a, 0x00})
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		back, err := Parse(m.Marshal())
		if err != nil {
			t.Fatalf("a parsed model wrote bytes that do not parse: %v", err)
		}
		if len(back.Graph.Nodes) != len(m.Graph.Nodes) {
			t.Fatalf("%d nodes, %d after writing", len(m.Graph.Nodes), len(back.Graph.Nodes))
		}
	})
}
