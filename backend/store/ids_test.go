package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// An agent holding a document id must never be handed another document
// under it: ids of removed documents are not given out again, by any of the
// ways a document is created, and not after a reopen either.
func TestDocumentIDsAreNeverReused(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	content := func(n int) Content {
		text := fmt.Sprintf("document number %d", n)
		return Content{Hash: fmt.Sprintf("h%d", n), Title: "T", Text: text, Chunks: []Chunk{{Text: text, CharEnd: len(text)}}}
	}
	seen := map[int64]string{}
	add := func(how string, n int) int64 {
		t.Helper()
		var id int64
		var err error
		src := Source{Path: fmt.Sprintf("/d/%d.md", n)}
		switch how {
		case "index":
			id, _, err = s.Index(ctx, "", src, content(n))
		case "failure":
			id, err = s.RecordFailure(ctx, "", src, fmt.Sprintf("f%d", n), "", "broken")
		}
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := seen[id]; ok {
			t.Fatalf("%s of document %d got id %d, which %s had before", how, n, id, prev)
		}
		seen[id] = fmt.Sprintf("%s of document %d", how, n)
		return id
	}
	for i, how := range []string{"index", "failure", "index", "failure"} {
		id := add(how, i)
		// The newest document goes: its id is the one SQLite would reuse.
		if err := s.DeleteDocument(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	id := add("index", 10)
	if err := s.RemoveSource(ctx, "/d/10.md"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(ctx, file); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if next := add("index", 11); next <= id {
		t.Fatalf("after a reopen the next id is %d, not above %d", next, id)
	}
}
