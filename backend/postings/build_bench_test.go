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
	file := os.Getenv("POSTINGS_DB")
	if file == "" {
		b.Skip("POSTINGS_DB names no vault database")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, file)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
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
	file, qfile := os.Getenv("POSTINGS_DB"), os.Getenv("POSTINGS_QUERIES")
	if file == "" || qfile == "" {
		b.Skip("POSTINGS_DB and POSTINGS_QUERIES name no vault database and queries")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, file)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
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
