package infer

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// Each real embedder gets the rewrite its graph allows: skip layer norms
// fused in the float exports (one per sub-layer), the last layer for the
// CLS token only where the pooling is CLS, nothing in the graphs that
// quantize at run time. The rewritten graph's vectors equal the file's,
// and asked for token states, a CLS-only embedder runs the file's graph
// and gives every token's.
func TestEmbedderRewrite(t *testing.T) {
	var ref embeddingReference
	readGzipJSON(t, "testdata/embeddings.json.gz", &ref)
	_, passages := scifactPassages(t, 40)
	cases := []struct {
		name string
		want Rewrite
	}{
		{"bge-small-en-v1.5", Rewrite{SkipNorms: 24, CLSOnly: true}},
		{"e5-small-v2", Rewrite{SkipNorms: 24}},
		{"all-MiniLM-L6-v2", Rewrite{SkipNorms: 12}},
		{"bge-small-en-v1.5-q", Rewrite{}},
		{"bge-small-en-v1.5-int8", Rewrite{}},
	}
	rt := openRuntime(t)
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := testdata.Model(t, c.name)
			m := ref.Models[c.name]
			spec := EmbedderSpec{Model: filepath.Join(dir, "model.onnx"), Tokenizer: filepath.Join(dir, "tokenizer.json"),
				Pooling: m.Pooling, Normalize: true, MaxLen: m.MaxLen}
			e, err := rt.Embedder(spec)
			if err != nil {
				t.Fatal(err)
			}
			if e.Rewrite() != c.want {
				t.Fatalf("rewrite %v, want %v", e.Rewrite(), c.want)
			}
			spec.AsFile = true
			file, err := rt.Embedder(spec)
			if err != nil {
				t.Fatal(err)
			}
			if file.Rewrite().Changed() {
				t.Fatalf("as the file has it: %v", file.Rewrite())
			}
			got, err := e.EmbedPassages(ctx, passages)
			if err != nil {
				t.Fatal(err)
			}
			want, err := file.EmbedPassages(ctx, passages)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if c := cos32(got[i], want[i]); c < 0.99999 {
					t.Errorf("passage %d: cosine %.7f with the file's graph", i, c)
				}
			}
			if !c.want.CLSOnly {
				return
			}
			states, err := e.Encode(ctx, passages[:3], true)
			if err != nil {
				t.Fatal(err)
			}
			fileStates, err := file.Encode(ctx, passages[:3], true)
			if err != nil {
				t.Fatal(err)
			}
			for i := range states {
				if len(states[i].States) < 2 || len(states[i].States) != len(fileStates[i].States) {
					t.Fatalf("text %d: %d token states, the file's graph %d", i, len(states[i].States), len(fileStates[i].States))
				}
				last := len(states[i].States) - 1
				if c := cos32(states[i].States[last], fileStates[i].States[last]); c < 0.99999 {
					t.Errorf("text %d: last token's state cosine %.7f", i, c)
				}
			}
		})
	}
}

func cos32(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}
