package vault

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoardvault/hoard/backend/search"
)

// BenchmarkSearchKeywords asks SciFact's claims (from $SHARED) for ten
// hits of a lexical vault with its postings built, as `bench ingest`
// times them; run with -cpuprofile to see where a query goes.
func BenchmarkSearchKeywords(b *testing.B) {
	dir := filepath.Join(os.Getenv("SHARED"), "datasets", "scifact")
	f, err := os.Open(filepath.Join(dir, "queries.jsonl"))
	if err != nil {
		b.Skip("SciFact is not in $SHARED/datasets")
	}
	var queries []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var q struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			b.Fatal(err)
		}
		queries = append(queries, q.Text)
	}
	f.Close()
	ctx := context.Background()
	v, err := Open(ctx, b.TempDir(), Options{Neural: NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Add(ctx, []string{filepath.Join(dir, "corpus.jsonl")}, AddOptions{}); err != nil {
		b.Fatal(err)
	}
	if err := v.WarmLexical(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := v.Search(ctx, search.Request{Query: queries[i%len(queries)], Limit: 10}); err != nil {
			b.Fatal(err)
		}
	}
}
