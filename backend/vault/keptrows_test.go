package vault

import (
	"context"
	"path/filepath"
	"testing"
)

// TestKeptRowsFollowChanges: hits from the rows kept with the in-memory
// postings name the collection and path as they are now, after a change
// that leaves the full-text index as it was (a collection renamed, a
// document moved to another).
func TestKeptRowsFollowChanges(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{Neural: NeuralOptions{Embedder: "none", Reranker: "none"}})
	dir := t.TempDir()
	ferry := filepath.Join(dir, "ferry.md")
	writeFile(t, ferry, "# Ferry\n\nThe ferry crossed the sound in a storm.\n")
	writeFile(t, filepath.Join(dir, "lake.md"), "# Lake\n\nA storm came over the lake at dusk.\n")
	if _, err := v.CreateCollection(ctx, "work", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Add(ctx, []string{dir}, AddOptions{Collection: "work"}); err != nil {
		t.Fatal(err)
	}
	if err := v.WarmLexical(ctx); err != nil {
		t.Fatal(err)
	}
	if ls := v.LexicalStats(); ls.Kept == 0 {
		t.Fatal("no rows kept with the postings")
	}
	hits := mustSearch(t, v, "ferry storm")
	if len(hits) == 0 || hits[0].Collection != "work" || hits[0].Path != ferry || hits[0].Text == "" {
		t.Fatalf("before: %+v", hits)
	}
	if _, err := v.UpdateCollection(ctx, "work", "office", 2); err != nil {
		t.Fatal(err)
	}
	if hits := mustSearch(t, v, "ferry storm"); len(hits) == 0 || hits[0].Collection != "office" {
		t.Errorf("after the rename: %+v, want collection office", hits)
	}
	if _, err := v.CreateCollection(ctx, "boats", 1); err != nil {
		t.Fatal(err)
	}
	if err := v.MoveDocument(ctx, hits[0].DocID, "boats"); err != nil {
		t.Fatal(err)
	}
	// The office weighs more than boats now: the lake may come first.
	moved := false
	for _, h := range mustSearch(t, v, "ferry storm") {
		if h.DocID == hits[0].DocID {
			moved = h.Collection == "boats" && h.Path == ferry
		}
	}
	if !moved {
		t.Error("after the move: the ferry is not in boats")
	}
}
