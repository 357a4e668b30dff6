package postings_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/postings"
	"github.com/hoardvault/hoard/backend/store"
)

// BenchmarkBuild builds the postings of the vault database in
// $POSTINGS_DB (a copy: opening may migrate it).
func BenchmarkBuild(b *testing.B) {
	ctx := context.Background()
	st := benchStore(b)
	for range b.N {
		x := postings.New(st.SearchView(), nil)
		x.Start()
		if err := x.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(x.Stats().Bytes), "bytes")
		x.Close()
	}
}

// BenchmarkCountPairs counts each pair of neighbouring words of the
// queries in $POSTINGS_QUERIES (one per line) in the postings of the vault
// database in $POSTINGS_DB, as rescoring's proximity asks for them.
func BenchmarkCountPairs(b *testing.B) {
	qfile := os.Getenv("POSTINGS_QUERIES")
	if qfile == "" {
		b.Skip("POSTINGS_QUERIES names no queries")
	}
	ctx := context.Background()
	st := benchStore(b)
	x := postings.New(st.SearchView(), nil)
	defer x.Close()
	x.Start()
	if err := x.Wait(ctx); err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(qfile)
	if err != nil {
		b.Fatal(err)
	}
	var pairs []string
	for _, q := range strings.Split(string(raw), "\n") {
		w := strings.Fields(strings.ToLower(q))
		for i := 0; i+1 < len(w); i++ {
			pairs = append(pairs, w[i]+" "+w[i+1])
		}
	}
	stamp, err := st.SearchView().LexicalStamp(ctx)
	if err != nil {
		b.Fatal(err)
	}
	view := x.At(stamp)
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := view.Count(ctx, pairs[i%len(pairs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStore opens the vault database in $POSTINGS_DB (a copy: opening
// may migrate it), closed when the benchmark ends.
func benchStore(b *testing.B) *store.Store {
	b.Helper()
	file := os.Getenv("POSTINGS_DB")
	if file == "" {
		b.Skip("POSTINGS_DB names no vault database")
	}
	st, err := store.Open(context.Background(), file)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}
