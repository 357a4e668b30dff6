package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A vault opened read-only reads everything, and every kind of write (one
// statement, a transaction, a prepared statement) fails with ErrReadOnly;
// with its WAL's shared memory not to be made (a folder not writable) it
// still opens. Open falls back to it when the file cannot be written.
func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "v.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	text := "alpha words"
	if _, _, err := s.Index(ctx, "", Source{Path: "/a.txt"}, Content{Hash: "h1", Title: "A", Text: text, Chunks: []Chunk{{Text: text, CharEnd: len(text)}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	ro, err := OpenReadOnly(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if !ro.ReadOnly() {
		t.Error("not marked read-only")
	}
	var n int
	if err := ro.DB().QueryRow("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'alpha'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("search: %d %v", n, err)
	}
	if docs, total, err := ro.ListDocuments(ctx, ListOptions{}); err != nil || total != 1 || len(docs) != 1 {
		t.Fatalf("list: %d %v", total, err)
	}
	for _, tc := range []struct {
		name  string
		write func() error
	}{
		{"statement", func() error { _, err := ro.CreateCollection(ctx, "Work", 1); return err }},
		{"transaction", func() error { return ro.DeleteDocument(ctx, 1) }},
		{"index", func() error {
			_, _, err := ro.Index(ctx, "", Source{Path: "/b.txt"}, Content{Hash: "h2", Title: "B", Text: "b", Chunks: []Chunk{{Text: "b", CharEnd: 1}}})
			return err
		}},
		{"queue", func() error { return ro.Enqueue(ctx, []Task{{Path: "/c.txt", Op: OpIndex}}) }},
	} {
		if err := tc.write(); !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s: %v, want %v", tc.name, err, ErrReadOnly)
		}
	}
	if _, total, _ := ro.ListDocuments(ctx, ListOptions{}); total != 1 {
		t.Errorf("%d documents after refused writes", total)
	}

	// The file and its folder not writable: Open reads it. Root writes
	// whatever the permissions say, so that is tried as another user only.
	if os.Geteuid() == 0 {
		t.Log("running as root: permissions do not stop root writing, so Open's fallback to read-only on a chmod 0444 file in a 0555 folder is not tried here (the hoard CLI test tries it as user nobody)")
		return
	}
	os.Chmod(file, 0o444)
	os.Chmod(dir, 0o555)
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	s, err = Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.ReadOnly() {
		t.Error("a vault that cannot be written is not opened read-only")
	}
	if _, err := s.CreateCollection(ctx, "Work", 1); !errors.Is(err, ErrReadOnly) {
		t.Errorf("write: %v", err)
	}
}
