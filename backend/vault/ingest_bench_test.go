package vault

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkAddCorpus ingests SciFact's corpus (from $SHARED) lexically, as
// `make bench` does; run with -cpuprofile to see where ingest goes.
func BenchmarkAddCorpus(b *testing.B) {
	corpus := filepath.Join(os.Getenv("SHARED"), "datasets", "scifact", "corpus.jsonl")
	if _, err := os.Stat(corpus); err != nil {
		b.Skip("SciFact is not in $SHARED/datasets")
	}
	ctx := context.Background()
	for range b.N {
		v, err := Open(ctx, b.TempDir(), Options{Neural: NeuralOptions{Embedder: "none", Reranker: "none"}})
		if err != nil {
			b.Fatal(err)
		}
		sum, err := v.Add(ctx, []string{corpus}, AddOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if sum.Indexed == 0 {
			b.Fatal("nothing indexed")
		}
		v.Close()
	}
}
