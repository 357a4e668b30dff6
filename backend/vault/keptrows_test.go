package vault

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/search"
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
	// The kept rows are behind the store now: once it has settled, a
	// query has the postings built again, with the rows as they are.
	builds := v.LexicalStats().Builds
	time.Sleep(1100 * time.Millisecond) // the postings' Settle
	mustSearch(t, v, "ferry storm")
	if err := v.lex.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if got := v.LexicalStats().Builds; got != builds+1 {
		t.Errorf("%d builds after the rows fell behind, want %d", got, builds+1)
	}
	if hits := mustSearch(t, v, "ferry storm"); len(hits) == 0 || hits[0].Collection == "work" {
		t.Errorf("after the rebuild: %+v", hits)
	}
}

// TestSearchesAtOnce: queries running at once share the rows kept between
// them (and the texts they read) without a race (run with -race) and each
// gets what it gets alone.
func TestSearchesAtOnce(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{Neural: NeuralOptions{Embedder: "none", Reranker: "none"}})
	dir := t.TempDir()
	words := []string{"ferry", "storm", "lake", "harbour", "sail", "mast", "tide", "reef"}
	for i := range 40 {
		body := ""
		for j := range 30 {
			body += words[(i*7+j*3)%len(words)] + " "
		}
		writeFile(t, filepath.Join(dir, fmt.Sprintf("n%02d.md", i)), fmt.Sprintf("# Note %d\n\n%s\n", i, body))
	}
	if _, err := v.Add(ctx, []string{dir}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := v.WarmLexical(ctx); err != nil {
		t.Fatal(err)
	}
	queries := []string{"ferry storm", "lake tide", "harbour reef", "sail mast storm"}
	// What a person sees of a hit (scores move with the clock: decay).
	seen := func(hits []search.Hit) string {
		out := ""
		for _, h := range hits {
			out += fmt.Sprintf("%d %s %s %q|", h.ChunkID, h.Path, h.Collection, h.Snippet)
		}
		return out
	}
	alone := map[string]string{}
	for _, q := range queries {
		alone[q] = seen(mustSearch(t, v, q))
	}
	// Afresh: the kept rows start empty, so the goroutines fill them at once.
	v2, err := Open(ctx, v.Dir(), Options{Neural: NeuralOptions{Embedder: "none", Reranker: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	if err := v2.WarmLexical(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				q := queries[(g+i)%len(queries)]
				hits, err := v2.Search(ctx, search.Request{Query: q, Limit: 10})
				if err != nil {
					errs <- err.Error()
					return
				}
				if got := seen(hits); got != alone[q] {
					errs <- q + ": differs at once:\n" + got + "\n" + alone[q]
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestKeptRowServesItsSnapshot: a row the in-memory postings hold serves
// a hit with its text as they read it, with no read of the store, even
// when its chunk went since (deleted here by hand, so no stamp moves: as
// a query pinned before a delete sees it). Once the vault removes the
// document, the stamps move and the hit goes.
func TestKeptRowServesItsSnapshot(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{Neural: NeuralOptions{Embedder: "none", Reranker: "none"}})
	dir := t.TempDir()
	barge := filepath.Join(dir, "barge.md")
	writeFile(t, filepath.Join(dir, "ferry.md"), "# Ferry\n\nThe ferry crossed the sound in a storm.\n")
	writeFile(t, barge, "# Barge\n\nThe barge waited out the storm.\n")
	if _, err := v.Add(ctx, []string{dir}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := v.WarmLexical(ctx); err != nil {
		t.Fatal(err)
	}
	var gone int64
	var want string
	if err := v.store.DB().QueryRowContext(ctx, `SELECT c.id, c.text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.title = 'Barge'`).Scan(&gone, &want); err != nil {
		t.Fatal(err)
	}
	if _, err := v.store.DB().ExecContext(ctx, `DELETE FROM chunks WHERE id = ?`, gone); err != nil {
		t.Fatal(err)
	}
	served := false
	for _, h := range mustSearch(t, v, "storm") {
		if h.Text == "" {
			t.Errorf("hit %d with no text", h.ChunkID)
		}
		if h.ChunkID == gone {
			served = true
			if h.Text != want {
				t.Errorf("the kept row's text %q, want %q", h.Text, want)
			}
		}
	}
	if !served {
		t.Error("the kept row gave no hit: its text was read from the store")
	}
	if err := v.Remove(ctx, barge); err != nil {
		t.Fatal(err)
	}
	wantOneHitBut(t, mustSearch(t, v, "storm"), gone, "after the document went")
}

// wantOneHitBut: one hit, with its text, and not chunk gone.
func wantOneHitBut(t *testing.T, hits []search.Hit, gone int64, when string) {
	t.Helper()
	for _, h := range hits {
		if h.ChunkID == gone || h.Text == "" {
			t.Errorf("%s: hit %d with text %q", when, h.ChunkID, h.Text)
		}
	}
	if len(hits) != 1 {
		t.Errorf("%s: %d hits, want the one left", when, len(hits))
	}
}

// TestKeptTranscriptRowGoneFromTheStore: a transcript's row kept with the
// postings has its word times read from the store when it becomes a hit;
// if its chunk went meanwhile (deleted by hand here, so no stamp moves),
// it gives no hit rather than one without its moment.
func TestKeptTranscriptRowGoneFromTheStore(t *testing.T) {
	ctx := context.Background()
	v := openVault(t, Options{Neural: NeuralOptions{Embedder: "none", Reranker: "none"}})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ferry.md"), "# Ferry\n\nThe ferry crossed the sound in a storm.\n")
	writeFile(t, filepath.Join(dir, "memo.md"), "# Memo\n\nThe barge waited out the storm.\n")
	if _, err := v.Add(ctx, []string{dir}, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	var gone int64
	if err := v.store.DB().QueryRowContext(ctx, `SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.title = 'Memo'`).Scan(&gone); err != nil {
		t.Fatal(err)
	}
	// Spoken from 0:01 to 0:04, as a voice note's passage is.
	if _, err := v.store.DB().ExecContext(ctx, `UPDATE chunks SET time_start = 1000, time_end = 4000 WHERE id = ?`, gone); err != nil {
		t.Fatal(err)
	}
	if err := v.WarmLexical(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := v.store.DB().ExecContext(ctx, `DELETE FROM chunks WHERE id = ?`, gone); err != nil {
		t.Fatal(err)
	}
	wantOneHitBut(t, mustSearch(t, v, "storm"), gone, "the transcript's chunk gone")
}
