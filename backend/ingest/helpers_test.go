package ingest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/store"
)

// newService runs ingestion over a fresh store in a temporary vault folder.
func newService(t *testing.T, cfg Config) (*Service, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "hoard.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Dir = st, dir
	if cfg.Registry == nil {
		cfg.Registry = extract.NewRegistry(extract.DefaultLimits())
	}
	s := New(cfg)
	t.Cleanup(func() {
		s.Close()
		st.Close()
	})
	return s, st
}
