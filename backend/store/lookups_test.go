package store

import (
	"context"
	"database/sql"
	"testing"
)

// Ingestion looks every file up twice before reading it; preparing those
// statements on each call cost as much as running them.
func TestLookupsPreparedOnce(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	indexSample(t, s, "a")
	cases := []struct {
		name   string
		query  string
		arg    string
		dst    []any // what the method scans into
		lookup func() error
	}{
		{"SourceState", sourceStateQuery, "/a", []any{new(int64), new(sql.NullString), new(string), new(int64), new(int64), new(int64)}, func() error {
			st, err := s.SourceState(ctx, "/a")
			if err == nil && st.Hash != "h-a" {
				t.Fatalf("source state %+v", st)
			}
			return err
		}},
		{"HasIndexedHash", indexedHashQuery, "h-a", []any{new(int)}, func() error {
			ok, err := s.HasIndexedHash(ctx, "h-a")
			if err == nil && !ok {
				t.Fatal("h-a not found")
			}
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.lookup(); err != nil {
				t.Fatal(err)
			}
			// What running the statement, prepared beforehand, costs.
			st, err := s.DB().PrepareContext(ctx, c.query)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			base := testing.AllocsPerRun(100, func() {
				if err := st.QueryRowContext(ctx, c.arg).Scan(c.dst...); err != nil {
					t.Fatal(err)
				}
			})
			got := testing.AllocsPerRun(100, func() { c.lookup() })
			// The method's own variables, which Scan makes escape, are
			// the two allocations it may add; preparing adds three or more.
			if got > base+2 {
				t.Errorf("%s: %v allocations a call, a prepared statement's run %v: prepared on every call?", c.name, got, base)
			}
		})
	}
}
