package infer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hoardvault/hoard/backend/internal/testdata"
)

// embeddingReference is testdata/embeddings.json.gz: vectors from Python
// onnxruntime on the same files, with each model's documented pooling and
// prefixes (testdata/reference.py).
type embeddingReference struct {
	SciFact []string `json:"scifact"`
	Queries []string `json:"queries"`
	Models  map[string]struct {
		Pooling  string      `json:"pooling"`
		MaxLen   int         `json:"max_len"`
		Queries  [][]float64 `json:"queries"`
		Passages [][]float64 `json:"passages"`
	} `json:"models"`
}

func cosine(a []float32, b []float64) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * b[i]
		na += float64(a[i]) * float64(a[i])
		nb += b[i] * b[i]
	}
	return dot / math.Sqrt(na*nb)
}

// Hoard's pooled, normalized vectors equal the reference's at cosine
// ≥ 0.99999 for every real model, queries with the query prefix and
// passages with the passage prefix, embedded in batches as ingest does.
func TestEmbedderMatchesOnnxruntime(t *testing.T) {
	var ref embeddingReference
	readGzipJSON(t, "testdata/embeddings.json.gz", &ref)
	ids, passages := scifactPassages(t, len(ref.SciFact))
	if !slices.Equal(ids, ref.SciFact) {
		t.Fatalf("the SciFact corpus is not the one the reference read")
	}
	specs := []struct {
		name, queryPrefix, passagePrefix string
	}{
		{"bge-small-en-v1.5", "Represent this sentence for searching relevant passages: ", ""},
		{"bge-small-en-v1.5-q", "Represent this sentence for searching relevant passages: ", ""},
		{"bge-small-en-v1.5-int8", "Represent this sentence for searching relevant passages: ", ""},
		{"e5-small-v2", "query: ", "passage: "},
		{"e5-small-v2-q", "query: ", "passage: "},
		{"all-MiniLM-L6-v2", "", ""},
		{"all-MiniLM-L6-v2-q", "", ""},
	}
	rt := openRuntime(t)
	ctx := context.Background()
	for _, s := range specs {
		t.Run(s.name, func(t *testing.T) {
			want, ok := ref.Models[s.name]
			if !ok {
				t.Fatalf("the reference has no %s", s.name)
			}
			dir := testdata.Model(t, s.name)
			e, err := rt.Embedder(EmbedderSpec{Model: filepath.Join(dir, "model.onnx"), Tokenizer: filepath.Join(dir, "tokenizer.json"),
				Pooling: want.Pooling, Normalize: true, QueryPrefix: s.queryPrefix, PassagePrefix: s.passagePrefix, MaxLen: want.MaxLen, Batch: 16})
			if err != nil {
				t.Fatal(err)
			}
			worst := 1.0
			got, err := e.EmbedPassages(ctx, passages)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if c := cosine(got[i], want.Passages[i]); c < worst {
					worst = c
				}
				if c := cosine(got[i], want.Passages[i]); c < 0.99999 {
					t.Errorf("passage %s: cosine %.7f with the reference", ids[i], c)
				}
			}
			for i, q := range ref.Queries {
				v, err := e.EmbedQuery(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if c := cosine(v, want.Queries[i]); c < 0.99999 {
					t.Errorf("query %q: cosine %.7f with the reference", q, c)
				}
			}
			t.Logf("%s: worst passage cosine %.7f over %d passages", s.name, worst, len(got))
		})
	}
}

// On the CPU the embedder runs one text per configured thread side by side
// (one-thread sessions), and each text's vector stays the reference's, in
// the texts' own order, whatever the number of workers.
func TestEmbedderWorkersMatchReference(t *testing.T) {
	var ref embeddingReference
	readGzipJSON(t, "testdata/embeddings.json.gz", &ref)
	_, passages := scifactPassages(t, len(ref.SciFact))
	ctx := context.Background()
	for _, name := range []string{"bge-small-en-v1.5-int8"} {
		want := ref.Models[name]
		dir := testdata.Model(t, name)
		// One worker is TestEmbedderMatchesOnnxruntime; three is more
		// than texts of any one length, so their order is tested.
		for _, threads := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/%d", name, threads), func(t *testing.T) {
				rt, err := Open(Config{Threads: threads})
				testdata.NeedORT(t, err, ErrUnavailable)
				defer rt.Close()
				e, err := rt.Embedder(EmbedderSpec{Model: filepath.Join(dir, "model.onnx"), Tokenizer: filepath.Join(dir, "tokenizer.json"),
					Pooling: want.Pooling, Normalize: true, MaxLen: want.MaxLen})
				if err != nil {
					t.Fatal(err)
				}
				if e.Workers() != threads {
					t.Fatalf("%d workers with %d threads", e.Workers(), threads)
				}
				got, err := e.EmbedPassages(ctx, passages)
				if err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if c := cosine(got[i], want.Passages[i]); c < 0.99999 {
						t.Errorf("passage %d: cosine %.7f with the reference", i, c)
					}
				}
				cancelled, cancel := context.WithCancel(ctx)
				cancel()
				if _, err := e.EmbedPassages(cancelled, passages); !errors.Is(err, context.Canceled) {
					t.Errorf("a cancelled embedding returned %v", err)
				}
			})
		}
	}
}
