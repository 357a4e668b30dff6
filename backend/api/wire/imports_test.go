package wire_test

import (
	"go/build"
	"slices"
	"testing"
)

// The clients' side reads the vault through its facade and speaks the wire
// types: no storage row reaches them by import. (The CLI's tests still
// open the store, to check the rows an interrupted add leaves.)
func TestClientsDoNotImportStore(t *testing.T) {
	const store = "github.com/hoardvault/hoard/backend/store"
	ctx := build.Default
	ctx.BuildTags = []string{"sqlite_fts5"}
	for _, tc := range []struct {
		dir   string
		tests bool
	}{{".", true}, {"..", true}, {"../../mcpserver", true}, {"../../cli", false}} {
		pkg, err := ctx.ImportDir(tc.dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(pkg.Imports, store) {
			t.Errorf("%s imports %s", tc.dir, store)
		}
		if tc.tests && (slices.Contains(pkg.TestImports, store) || slices.Contains(pkg.XTestImports, store)) {
			t.Errorf("%s's tests import %s", tc.dir, store)
		}
	}
}
