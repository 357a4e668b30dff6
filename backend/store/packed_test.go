package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Chunk text is stored packed where that saves, as it was otherwise, and
// reads back the same through every reader: the document's chunks, search's
// candidates and neighbours, the whole text, citations.
func TestChunkTextPacked(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	cases := []struct {
		name, text string
		packed     bool
	}{
		{"prose", strings.Repeat("The quick brown fox jumps over the lazy dog. ", 40), true},
		{"several scripts", strings.Repeat("Über Ça va? 日本語の文。 Ελληνικά. ", 30), true},
		{"short", "A few words.", false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := "# Head\n\n" + tc.text
			n := utf8.RuneCountInString(text)
			c := Content{Hash: fmt.Sprint("h", i), Title: "T", Text: text, Chunks: chunksAt(text, [2]int{8, n})}
			if i%2 == 0 {
				c.Pack() // as ingestion's workers do; the writer packs otherwise
			}
			id, _, err := s.Index(ctx, "", Source{Path: fmt.Sprintf("/d%d", i)}, c)
			if err != nil {
				t.Fatal(err)
			}
			var kind string
			var stored int
			s.DB().QueryRow(`SELECT typeof(text), length(CAST(text AS BLOB)) FROM chunks WHERE document_id = ?`, id).Scan(&kind, &stored)
			if got := kind == "blob"; got != tc.packed {
				t.Errorf("stored as %s (%d bytes of %d), want packed %v", kind, stored, len(tc.text), tc.packed)
			}
			if kind == "blob" && stored >= len(tc.text)/2 {
				t.Errorf("packed into %d bytes of %d", stored, len(tc.text))
			}
			chunks, err := s.Chunks(ctx, id)
			if err != nil || len(chunks) != 1 || chunks[0].Text != tc.text {
				t.Fatalf("Chunks: %v, %d chunks", err, len(chunks))
			}
			found, err := s.SearchView().SearchChunks(ctx, []int64{chunks[0].ID})
			if err != nil || len(found) != 1 || textOf(found[0].Text) != tc.text {
				t.Fatalf("SearchChunks: %v, %d", err, len(found))
			}
			if nb, err := s.SearchView().Neighbours(ctx, chunks[0].ID, 1); err != nil || len(nb) != 1 || nb[0] != tc.text {
				t.Fatalf("Neighbours: %v, %d", err, len(nb))
			}
			if ref, err := s.ChunkRef(ctx, chunks[0].ID); err != nil || ref.Text != tc.text {
				t.Fatalf("ChunkRef: %v", err)
			}
			if _, whole, err := s.DocumentText(ctx, id); err != nil || whole != text {
				t.Fatalf("DocumentText: %v, %d bytes of %d", err, len(whole), len(text))
			}
		})
	}
	// Bytes that do not pack stay as they are.
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 600)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	if v, ok := packText(string(noise)).(string); !ok || v != string(noise) {
		t.Errorf("noise packed: %T", packText(string(noise)))
	}
	// A damaged value is an error, not other text.
	if _, err := s.DB().Exec(`UPDATE chunks SET text = x'01ff05deadbeef' WHERE id = (SELECT min(id) FROM chunks)`); err != nil {
		t.Fatal(err)
	}
	var id int64
	s.DB().QueryRow(`SELECT min(id) FROM chunks`).Scan(&id)
	// Search reads a candidate's text as stored, and unpacks it when it
	// needs it: the damage is found then.
	rows, err := s.SearchView().SearchChunks(ctx, []int64{id})
	if err != nil || len(rows) != 1 {
		t.Fatalf("SearchChunks: %v, %d rows", err, len(rows))
	}
	if _, err := rows[0].Text.Unpack(); !errors.Is(err, errPacked) {
		t.Errorf("a damaged packed text unpacked with %v, want %v", err, errPacked)
	}
}

// A batch writes each full-text index once, at its commit: one new segment
// for the chunks and one for the gists, however many documents it holds.
// (Written with each document, the index had a segment per document to
// merge, and that merging cost more than the rest of the writer's work.)
func TestBatchIndexesOnce(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	b, err := s.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const docs = 120
	for i := range docs {
		text := fmt.Sprintf("Document %d is about topic%d and the shared words.", i, i)
		c := Content{Hash: fmt.Sprint(i), Title: fmt.Sprintf("Title %d", i), Text: text, Gist: text, Keyphrases: fmt.Sprintf("topic%d", i),
			Chunks: []Chunk{{Text: text, CharEnd: utf8.RuneCountInString(text)}}}
		if _, _, err := b.Index(ctx, "", Source{Path: fmt.Sprintf("/d%d", i)}, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"chunks_fts", "gists_fts"} {
		var segs int
		s.DB().QueryRow(`SELECT count(DISTINCT segid) FROM ` + table + `_idx`).Scan(&segs)
		if segs != 1 {
			t.Errorf("%s: %d segments after one batch, want 1", table, segs)
		}
	}
	// A batch that adds a document and replaces one it added: the rows it
	// held back are written before the old ones go, and those go.
	if b, err = s.BeginBatch(ctx); err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"Document 500 is new, about zebras too.", "Document 7 now speaks of zebras only.", "Document 7, written once more."} {
		path := "/d7"
		if i == 0 {
			path = "/d500"
		}
		if _, _, err := b.Index(ctx, "", Source{Path: path}, Content{Hash: fmt.Sprint("again", i), Title: "Title", Text: text, Gist: text,
			Chunks: []Chunk{{Text: text, CharEnd: utf8.RuneCountInString(text)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	count := func(table, match string) int {
		var n int
		s.DB().QueryRow(`SELECT count(*) FROM `+table+` WHERE `+table+` MATCH ?`, match).Scan(&n)
		return n
	}
	for _, c := range []struct {
		table, match string
		want         int
	}{
		{"chunks_fts", "shared", docs - 1}, {"gists_fts", "shared", docs - 1},
		{"chunks_fts", "topic42", 1}, {"gists_fts", "topic42", 1},
		{"chunks_fts", "topic7", 0}, {"gists_fts", "topic7", 0},
		{"chunks_fts", "zebras", 1}, {"gists_fts", "zebras", 1},
		{"chunks_fts", "once", 1}, {"gists_fts", "once", 1},
	} {
		if got := count(c.table, c.match); got != c.want {
			t.Errorf("%s MATCH %q: %d rows, want %d", c.table, c.match, got, c.want)
		}
	}
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
}

// A vault from before migration 0015 (chunk text in TEXT, the full-text
// index reading it through a view) opens: its index is rebuilt with the
// same rows and the same scores, and its texts are packed and read the same.
func TestOpenPacksAnOlderVault(t *testing.T) {
	ctx := context.Background()
	file, db := olderVault(t, 14)
	db.Exec(`BEGIN`)
	const docs = packBatch + 30 // more than one conversion batch
	texts := map[int64]string{}
	for i := 1; i <= docs; i++ {
		text := fmt.Sprintf("Passage %d on sourdough, rye and wheat; the starter of batch %d ferments for %d hours at room temperature.", i, i, i%24)
		db.Exec(`INSERT INTO documents (id, collection_id, hash, title, status, text, text_form, created_at, updated_at) VALUES (?, 1, ?, ?, 'indexed', '', 1, 0, 0)`,
			i, fmt.Sprint(i), fmt.Sprintf("Bread %d", i))
		res, err := db.Exec(`INSERT INTO chunks (document_id, ordinal, text, char_start, char_end) VALUES (?, 0, ?, 0, ?)`, i, text, utf8.RuneCountInString(text))
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		texts[id] = text
		if _, err := db.Exec(`INSERT INTO chunks_fts (rowid, title, heading, body) SELECT id, title, heading, body FROM chunk_fts_source WHERE document_id = ?`, i); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO gists (document_id, gist, keyphrases, updated_at) VALUES (?, ?, 'bread', 0)`, i, fmt.Sprintf("Gist %d of rye number%d.", i, i)); err != nil {
			t.Fatal(err)
		}
	}
	db.Exec(`COMMIT`)
	scores := func(db *sql.DB) map[int64]float64 {
		out := map[int64]float64{}
		rows, err := db.Query(`SELECT rowid, bm25(chunks_fts, 4.0, 2.0, 1.0) FROM chunks_fts WHERE chunks_fts MATCH 'rye OR "batch 17" OR hours'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var sc float64
			rows.Scan(&id, &sc)
			out[id] = sc
		}
		return out
	}
	before := scores(db)
	db.Close()

	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after := scores(s.DB())
	if len(after) != len(before) || len(before) != docs {
		t.Fatalf("%d rows match after opening, %d before (want %d)", len(after), len(before), docs)
	}
	for id, sc := range before {
		if after[id] != sc {
			t.Fatalf("chunk %d scores %g after opening, %g before", id, after[id], sc)
		}
	}
	var plain int
	s.DB().QueryRow(`SELECT count(*) FROM chunks WHERE typeof(text) = 'text'`).Scan(&plain)
	if plain != 0 {
		t.Errorf("%d chunks left unpacked", plain)
	}
	for id, text := range texts {
		got, err := s.SearchView().SearchChunks(ctx, []int64{id})
		if err != nil || len(got) != 1 || textOf(got[0].Text) != text {
			t.Fatalf("chunk %d: %v", id, err)
		}
	}
	if gs, err := s.MatchGists(ctx, "number42", 5); err != nil || len(gs) != 1 || gs[0].Gist != "Gist 42 of rye number42." {
		t.Errorf("the gists' rebuilt index finds %v (%v)", gs, err)
	}
	// Removing a document takes its rows out of the rebuilt indexes.
	if err := s.DeleteDocument(ctx, 17); err != nil {
		t.Fatal(err)
	}
	var n int
	s.DB().QueryRow(`SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH '"batch 17"'`).Scan(&n)
	if n != 0 {
		t.Errorf("a removed document still matches (%d rows)", n)
	}
	if gs, _ := s.MatchGists(ctx, "number17", 5); len(gs) != 0 {
		t.Errorf("a removed document's gist still matches")
	}
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
}

// An extractive gist is stored as references into its document's text and
// reads back whole everywhere: the gist, the list, a match, the export.
// Rewritten by a model or removed with its document, it leaves its index.
func TestGistStoredAsReferences(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	body := "Sourdough needs a starter. The starter ferments flour and water for days before baking. " +
		"Rye breads keep longer than wheat breads. Ünïcode names like Café Müller appear in the text too."
	text := "# Bread\n\n" + body
	cases := []struct {
		name, gist string
		refs       bool
	}{
		{"sentences in order", "The starter ferments flour and water for days before baking. Rye breads keep longer than wheat breads.", true},
		{"sentences apart, clipped", "Sourdough needs a starter. Ünïcode names like Café Müller…", true},
		{"words the text lacks", "An overview written elsewhere.", false},
	}
	n := utf8.RuneCountInString(text)
	for i, tc := range cases {
		c := Content{Hash: fmt.Sprint("g", i), Title: "Bread", Text: text, Gist: tc.gist, Keyphrases: "sourdough, starter",
			Chunks: chunksAt(text, [2]int{9, n})}
		if i == 0 {
			c.Pack()
		}
		id, _, err := s.Index(ctx, "", Source{Path: fmt.Sprintf("/g%d", i)}, c)
		if err != nil {
			t.Fatal(err)
		}
		var kind string
		var size int
		s.DB().QueryRow(`SELECT typeof(gist), length(CAST(gist AS BLOB)) FROM gists WHERE document_id = ?`, id).Scan(&kind, &size)
		if got := kind == "blob"; got != tc.refs || tc.refs && size > 16 {
			t.Errorf("%s: stored as %s of %d bytes (gist %d), want references %v", tc.name, kind, size, len(tc.gist), tc.refs)
		}
		if g, err := s.Gist(ctx, id); err != nil || g.Gist != tc.gist {
			t.Errorf("%s: Gist reads %q (%v)", tc.name, g.Gist, err)
		}
	}
	all, err := s.Gists(ctx, false, 0)
	if err != nil || len(all) != len(cases) {
		t.Fatalf("Gists: %d (%v)", len(all), err)
	}
	for i, g := range all {
		if g.Gist != cases[i].gist {
			t.Errorf("Gists[%d] = %q, want %q", i, g.Gist, cases[i].gist)
		}
	}
	var exported []string
	if err := s.EachRecord(ctx, func(r Record) error {
		if r.Gist != nil {
			exported = append(exported, r.Gist.Gist)
		}
		return nil
	}); err != nil || len(exported) != len(cases) || exported[1] != cases[1].gist {
		t.Fatalf("export carries gists %q (%v)", exported, err)
	}
	match := func(q string) []int64 {
		gs, err := s.MatchGists(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, g := range gs {
			ids = append(ids, g.DocumentID)
		}
		return ids
	}
	if got := match("ferments"); len(got) != 1 || got[0] != all[0].DocumentID {
		t.Errorf("ferments matches %v, want [%d]", got, all[0].DocumentID)
	}
	// A model's gist replaces the extractive one in the index too.
	if err := s.PutGist(ctx, Gist{DocumentID: all[0].DocumentID, Gist: "A note on zymurgy.", Keyphrases: "zymurgy", ByLLM: true}); err != nil {
		t.Fatal(err)
	}
	if got := match("ferments"); len(got) != 0 {
		t.Errorf("the replaced gist still matches: %v", got)
	}
	if got := match("zymurgy"); len(got) != 1 {
		t.Errorf("the model's gist matches %v", got)
	}
	if err := s.DeleteDocument(ctx, all[1].DocumentID); err != nil {
		t.Fatal(err)
	}
	if got := match("müller"); len(got) != 0 {
		t.Errorf("a removed document's gist still matches: %v", got)
	}
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
	// References that do not fit their text are an error, not other words.
	if _, err := unpackGist([]byte{gistRefs, 200, 1, 50}, "short"); !errors.Is(err, errPacked) {
		t.Errorf("a reference past the text read with %v", err)
	}
}

// A new vault hands the pages its full-text merges and removals free back
// to the file system when asked (ingestion asks at the end of a pass).
func TestReclaimFreePages(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	body := strings.Repeat("Words that fill pages of the vault, several of them. ", 200)
	var ids []int64
	for i := range 40 {
		text := fmt.Sprintf("Document %d. %s", i, body)
		id, _, err := s.Index(ctx, "", Source{Path: fmt.Sprintf("/r%d", i)}, Content{Hash: fmt.Sprint(i), Title: "T", Text: text,
			Chunks: []Chunk{{Text: text, CharEnd: utf8.RuneCountInString(text)}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids[:30] {
		if err := s.DeleteDocument(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	pages := func(p string) int {
		var n int
		s.DB().QueryRow(`PRAGMA ` + p).Scan(&n)
		return n
	}
	free, all := pages("freelist_count"), pages("page_count")
	if free == 0 {
		t.Fatal("nothing was freed: the test proves nothing")
	}
	if err := s.Reclaim(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pages("freelist_count"); got != 0 {
		t.Errorf("%d pages still free after Reclaim", got)
	}
	if got := pages("page_count"); got != all-free {
		t.Errorf("%d pages after Reclaim, want %d - %d", got, all, free)
	}
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
}
