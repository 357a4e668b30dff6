package store

import (
	"context"
	"fmt"
)

// VectorStamp says which state the vector rows are in, read without
// reading the rows: equal stamps, equal rows (within one vault's history).
type VectorStamp struct {
	Rows    int   // the rows
	Added   int64 // the latest write batch among them
	Changes int64 // rows changed in place since the vault was made
}

// VectorStamp reads the vector rows' stamp (the count and the latest batch
// through the added index).
func (s *Store) VectorStamp(ctx context.Context) (VectorStamp, error) {
	var st VectorStamp
	err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(added), 0),
		coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'vector_changes'), 0)
		FROM chunk_embeddings`).Scan(&st.Rows, &st.Added, &st.Changes)
	if err != nil {
		return st, fmt.Errorf("vector stamp: %w", err)
	}
	return st, nil
}
