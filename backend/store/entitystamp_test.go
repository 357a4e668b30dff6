package store

import (
	"context"
	"strings"
	"testing"
)

// TestEntityStampFollowsDocuments: every change to a document moves the
// entity index's stamp, even a second change within the same second,
// and reading it reads no document.
func TestEntityStampFollowsDocuments(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	v := s.SearchView()
	content := func(title, entity string) Content {
		text := "The " + entity + " leaves at noon."
		return Content{Hash: "h-" + entity, Title: title, Text: text,
			Chunks: []Chunk{{Text: text, CharEnd: len(text), Entities: []EntityRef{{Name: entity, Kind: 1}}}}}
	}
	var doc int64
	steps := []struct {
		name   string
		change func() error
		moves  bool
	}{
		{"a document indexed", func() (err error) {
			doc, _, err = s.Index(ctx, "", Source{Path: "/ferry.md"}, content("Ferry", "ferry"))
			return err
		}, true},
		{"indexed again, changed", func() error {
			_, _, err := s.Index(ctx, "", Source{Path: "/ferry.md"}, content("Harbour", "harbour"))
			return err
		}, true},
		{"searched", func() error {
			_, err := v.MatchChunks(ctx, `"harbour"`, [3]float64{1, 1, 1}, ChunkFilter{}, 10)
			return err
		}, false},
		{"moved", func() error { return s.MoveDocument(ctx, doc, "boats") }, true},
		{"deleted", func() error { return s.DeleteDocument(ctx, doc) }, true},
	}
	last, err := v.EntitySignature(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		sig, err := v.EntitySignature(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if moved := sig != last; moved != st.moves {
			t.Errorf("%s: stamp %q -> %q, want moved: %v", st.name, last, sig, st.moves)
		}
		last = sig
	}
	rows, err := s.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+entityStampSQL)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(detail, "documents") {
			t.Errorf("reading the stamp reads documents: %s", detail)
		}
	}
}
