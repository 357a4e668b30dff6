package postings_test

import (
	"context"
	"os"
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
