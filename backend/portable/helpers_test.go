package portable_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hoardvault/hoard/backend/infer"
	"github.com/hoardvault/hoard/backend/internal/testdata"
	"github.com/hoardvault/hoard/backend/search"
	"github.com/hoardvault/hoard/backend/store"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// openVault opens an empty vault in a temporary folder, with no models
// installed unless opt names some.
func openVault(t *testing.T, opt vault.Options) *vault.Vault {
	t.Helper()
	if opt.Neural.Models == nil {
		opt.Neural.Models = vault.ModelManager(t.TempDir())
	}
	v, err := vault.Open(context.Background(), t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// storeOf opens a second handle on a vault's database, for what the tests
// put in or count that the vault has no method for.
func storeOf(t testing.TB, v *vault.Vault) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(v.Dir(), vault.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func mustSearch(t *testing.T, v *vault.Vault, q string) []search.Hit {
	t.Helper()
	hits, err := v.Search(context.Background(), search.Request{Query: q, Limit: 10})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return hits
}

// strip keeps what must match across vaults (ids differ).
func strip(hits []search.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s|%s|%d|%s|%.6f|%s", h.Title, h.Path, h.Page, h.Heading, h.Score, h.Snippet))
	}
	return out
}

// tinyModels installs the tiny generated embedders "tiny" and "tiny2".
func tinyModels(t *testing.T) *models.Manager {
	t.Helper()
	rt, err := infer.Open(infer.Config{})
	testdata.NeedORT(t, err, infer.ErrUnavailable)
	rt.Close()
	return testdata.TinyModels(t, vault.CheckModel)
}
