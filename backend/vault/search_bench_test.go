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
// hits of a lexical vault with its postings built, query after query;
// run with -cpuprofile to see where a query goes.
func BenchmarkSearchKeywords(b *testing.B) {
	ctx := context.Background()
	queries, dir := scifactClaims(b)
	v, err := Open(ctx, dir, Options{Neural: NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
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

// BenchmarkSearchFreshVault asks every claim once of a vault just opened
// (its postings built), as `hoard bench ingest` times them: what is kept
// between queries helps only as far as the claims share candidates. One
// op is every claim.
func BenchmarkSearchFreshVault(b *testing.B) {
	ctx := context.Background()
	queries, dir := scifactClaims(b)
	for range b.N {
		b.StopTimer()
		v, err := Open(ctx, dir, Options{Neural: NeuralOptions{Embedder: "none", Reranker: "none"}})
		if err != nil {
			b.Fatal(err)
		}
		if err := v.WarmLexical(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, q := range queries {
			if _, err := v.Search(ctx, search.Request{Query: q, Limit: 10}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		v.Close()
	}
}

// scifactClaims reads SciFact's claims from $SHARED and adds its corpus to
// a lexical vault in a temporary folder.
func scifactClaims(b *testing.B) ([]string, string) {
	b.Helper()
	src := filepath.Join(os.Getenv("SHARED"), "datasets", "scifact")
	f, err := os.Open(filepath.Join(src, "queries.jsonl"))
	if err != nil {
		b.Skip("SciFact is not in $SHARED/datasets")
	}
	defer f.Close()
	var queries []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var q struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			b.Fatal(err)
		}
		queries = append(queries, q.Text)
	}
	ctx := context.Background()
	dir := b.TempDir()
	v, err := Open(ctx, dir, Options{Neural: NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Add(ctx, []string{filepath.Join(src, "corpus.jsonl")}, AddOptions{}); err != nil {
		b.Fatal(err)
	}
	return queries, dir
}
