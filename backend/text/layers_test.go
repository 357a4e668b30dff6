package text

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// imports lists what the non-test files of the package in dir import.
func imports(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s (%v)", dir, err)
	}
	out := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			out[p] = true
		}
	}
	return out
}

// The word-level helpers live here so that packages which need only them
// do not import a sibling for them: memory once imported search for stop
// words and stems, answer imported memory for sentences and clipping.
func TestGroundFloor(t *testing.T) {
	const mod = "github.com/hoardvault/hoard/backend/"
	for _, tc := range []struct {
		pkg       string
		forbidden []string // whole packages, or a prefix ending in "/"
	}{
		{"text", []string{mod}},
		{"memory", []string{mod + "search"}},
		{"answer", []string{mod + "memory"}},
		{"entity", []string{mod + "search", mod + "memory", mod + "answer"}},
	} {
		for p := range imports(t, filepath.Join("..", tc.pkg)) {
			for _, bad := range tc.forbidden {
				if p == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(p, bad) {
					t.Errorf("%s imports %s", tc.pkg, p)
				}
			}
		}
	}
}
