package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenMigratesOnceAndReportsVersions(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations()
	if v, _ := s.SchemaVersion(ctx); v != len(ms) {
		t.Fatalf("schema version %d, want %d", v, len(ms))
	}
	sv, vv, err := s.Versions(ctx)
	if err != nil || !strings.HasPrefix(sv, "3.") || !strings.HasPrefix(vv, "v") {
		t.Fatalf("versions %q %q %v", sv, vv, err)
	}
	var mode string
	s.DB().QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Fatalf("journal mode %q", mode)
	}
	colls, err := s.Collections(ctx)
	if err != nil || len(colls) != 1 || colls[0].Name != DefaultCollection {
		t.Fatalf("default collection: %+v %v", colls, err)
	}
	s.Close()
	// Reopening applies nothing twice.
	s, err = Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if colls, _ := s.Collections(ctx); len(colls) != 1 {
		t.Fatalf("reopen duplicated the default collection: %+v", colls)
	}
	// A vault from a newer hoard is refused, not damaged.
	s.DB().Exec("PRAGMA user_version = 999")
	s.Close()
	if _, err := Open(ctx, file); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("want a newer-schema error, got %v", err)
	}
}

func TestIndexReplaceAndFTS(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	content := func(hash, text string) Content {
		return Content{Hash: hash, Title: "T", Text: text, Chunks: []Chunk{{Text: text, CharEnd: len(text)}}}
	}
	count := func(word string) int {
		var n int
		s.DB().QueryRow("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", word).Scan(&n)
		return n
	}
	src := Source{Path: "/a.txt"}
	id1, out, err := s.Index(ctx, "", src, content("h1", "alpha words"))
	if err != nil || out != Indexed {
		t.Fatal(out, err)
	}
	if _, out, _ := s.Index(ctx, "", src, content("h1", "alpha words")); out != Unchanged {
		t.Fatalf("same content again: %v", out)
	}
	id2, _, err := s.Index(ctx, "", src, content("h2", "beta words"))
	if err != nil || id2 != id1 {
		t.Fatalf("changed content should keep id %d, got %d (%v)", id1, id2, err)
	}
	if count("alpha") != 0 || count("beta") != 1 {
		t.Fatalf("full-text rows not replaced: alpha %d beta %d", count("alpha"), count("beta"))
	}
	// A failure on the same path keeps the indexed version searchable.
	if _, err := s.RecordFailure(ctx, "", src, "h3", "text/plain", "boom"); err != nil {
		t.Fatal(err)
	}
	d, _ := s.GetDocument(ctx, id1)
	if d.Status != StatusFailed || !strings.Contains(d.Error, "boom") || count("beta") != 1 {
		t.Fatalf("after failure: %+v, beta hits %d", d, count("beta"))
	}
	if err := s.DeleteDocument(ctx, id1); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDocument(ctx, id1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
	if count("beta") != 0 {
		t.Fatal("full-text rows survived deletion")
	}
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestEntityRefsFollowChunks(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	refs := func() (n int) {
		s.DB().QueryRow(`SELECT count(*) FROM entity_refs`).Scan(&n)
		return n
	}
	c := Content{Hash: "h1", Title: "Marie Curie", Text: "x", Chunks: []Chunk{
		{Text: "Marie Curie met Pierre Curie.", Entities: []EntityRef{{"marie curie", 1}, {"pierre curie", 2}}},
		{Ordinal: 1, Text: "Pierre Curie again.", Entities: []EntityRef{{"marie curie", 1}, {"pierre curie", 2}}},
	}}
	id, _, err := s.Index(ctx, "", Source{Path: "/curie.md"}, c)
	if err != nil {
		t.Fatal(err)
	}
	var names int
	s.DB().QueryRow(`SELECT count(*) FROM entities`).Scan(&names)
	if refs() != 4 || names != 2 {
		t.Fatalf("%d refs, %d names; want 4, 2", refs(), names)
	}
	var kind int
	s.DB().QueryRow(`SELECT r.kind FROM entity_refs r JOIN entities e ON e.id = r.entity_id WHERE e.name = 'pierre curie' LIMIT 1`).Scan(&kind)
	if kind != 2 {
		t.Errorf("kind %d", kind)
	}
	if err := s.DeleteDocument(ctx, id); err != nil {
		t.Fatal(err)
	}
	if refs() != 0 {
		t.Errorf("%d refs outlived their chunks", refs())
	}
}
