package search

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/store"
)

// FuzzParse checks that any text parses into a query FTS5 accepts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"hello", `"a b" -c d*`, "NOT NOT", `""""`, "((", "🙂", "a\x00b", "col:x", "\xff\xfe", strings.Repeat("-", 50), "-\"", "*", "NEAR(a b, 3)"} {
		f.Add(s)
	}
	s, err := store.Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	// One passage, so that the rescore stage runs on whatever matches.
	text := "Hello world: a NEAR b, col x and 🙂 naïve Straße 東京 a\x00b 3.5 co-op"
	if _, _, err := s.Index(context.Background(), "", store.Source{Path: "/fuzz"}, store.Content{Hash: "f", Title: "Fuzz note", Text: text,
		MediaType: "text/plain", Chunks: []store.Chunk{{Text: text, CharEnd: len([]rune(text))}}}); err != nil {
		f.Fatal(err)
	}
	searcher := New(s.SearchView())
	f.Fuzz(func(t *testing.T, in string) {
		q := Parse(in)
		expr := q.FTS()
		if q.Empty() != (expr == "") {
			t.Fatalf("Empty()=%v but FTS()=%q", q.Empty(), expr)
		}
		if !utf8.ValidString(expr) {
			t.Fatalf("invalid UTF-8 in %q", expr)
		}
		if _, err := searcher.Search(context.Background(), Request{Query: in, Limit: 5}); err != nil {
			t.Fatalf("search %q (%s): %v", in, expr, err)
		}
	})
}
