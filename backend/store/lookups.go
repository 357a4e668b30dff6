package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps statements that ingestion's workers run for every file
// (has this path, this content, been stored?) prepared for the store's
// life: preparing one cost about as much as running it. database/sql
// prepares a kept statement again on each connection it runs on.
type stmtCache struct {
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	closed bool
}

// get returns q prepared on db, preparing it the first time.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[q]; ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if c.closed {
		return st, nil // the store is closing: not kept (the caller's query fails)
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[q] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts, c.closed = nil, true
}

// queryRow runs q, prepared once, on the store's database.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.lookups.get(ctx, s.db, q)
	if err != nil {
		return s.db.QueryRowContext(ctx, q, args...) // reports the error
	}
	return st.QueryRowContext(ctx, args...)
}
