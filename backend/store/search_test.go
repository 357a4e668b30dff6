package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGetVarint(t *testing.T) {
	nine := []byte{0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}
	cases := []struct {
		in   []byte
		want int64
		n    int
	}{
		{[]byte{0x05}, 5, 1},
		{[]byte{0x81, 0x00}, 128, 2},
		{[]byte{0xff, 0x7f, 0x33}, 16383, 2},
		{nine, 1<<57 | 1, 9},
		{[]byte{0x81}, 0, 0}, // cut short
		{nil, 0, 0},
	}
	for _, tc := range cases {
		if v, n := getVarint(tc.in); v != tc.want || n != tc.n {
			t.Errorf("getVarint(%x) = %d, %d; want %d, %d", tc.in, v, n, tc.want, tc.n)
		}
	}
}

// The read view answers what search asks from a real file: matches within
// a filter, corpus statistics from FTS5's averages record, chunk rows by
// id (a missing id left out), a document's first chunk and a chunk's
// neighbours.
func TestSearchView(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	if _, err := s.CreateCollection(ctx, "work", 2); err != nil {
		t.Fatal(err)
	}
	index := func(coll, title, mediaType string, texts ...string) int64 {
		t.Helper()
		c := Content{Hash: title, Title: title, MediaType: mediaType}
		at := 0
		for i, text := range texts {
			c.Chunks = append(c.Chunks, Chunk{Ordinal: i, Heading: "H" + title, Text: text, CharStart: at, CharEnd: at + len(text)})
			c.Text += text
			at += len(text)
		}
		id, _, err := s.Index(ctx, coll, Source{Path: "/" + title}, c)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	ferry := index("", "Ferry", "text/plain", "the ferry crossed in a storm", "it came back calm", "and sank at last")
	lake := index("work", "Lake", "application/pdf", "a storm over the lake")
	v := s.SearchView()

	tot, err := v.LexicalTotals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Four chunks; titles one token each, headings one, bodies 6+4+4+5.
	if want := (LexicalTotals{Rows: 4, Tokens: [3]int64{4, 4, 19}}); tot != want {
		t.Errorf("totals %+v, want %+v", tot, want)
	}
	if n, err := v.CountMatches(ctx, `"storm"`); err != nil || n != 2 {
		t.Errorf("storm matches %d chunks (%v), want 2", n, err)
	}

	docOf := map[int64]int64{}
	for _, tc := range []struct {
		name string
		f    ChunkFilter
		want []int64 // documents, best first
	}{
		{"all", ChunkFilter{}, []int64{lake, ferry}},
		{"collection", ChunkFilter{Collection: "work"}, []int64{lake}},
		{"media type", ChunkFilter{MediaType: "text/plain"}, []int64{ferry}},
		{"documents", ChunkFilter{DocIDs: []int64{ferry}}, []int64{ferry}},
		{"none", ChunkFilter{Collection: "nowhere"}, nil},
	} {
		ms, err := v.MatchChunks(ctx, `"storm"`, [3]float64{2, 1.5, 1}, tc.f, 10)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ids := make([]int64, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
			if i > 0 && m.BM25 < ms[i-1].BM25 {
				t.Errorf("%s: not best first: %+v", tc.name, ms)
			}
		}
		rows, err := v.SearchChunks(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		var docs []int64
		for _, r := range rows {
			docOf[r.ID] = r.DocID
		}
		for _, id := range ids {
			docs = append(docs, docOf[id])
		}
		if !slices.Equal(docs, tc.want) {
			t.Errorf("%s: documents %v, want %v", tc.name, docs, tc.want)
		}
		ok, err := v.ChunksMatching(ctx, []int64{1, 2, 3, 4}, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		for id := range ok {
			if !slices.Contains(tc.want, docOf[id]) && docOf[id] != 0 {
				t.Errorf("%s: chunk %d of document %d kept", tc.name, id, docOf[id])
			}
		}
	}

	first, err := v.FirstChunks(ctx, []int64{ferry, lake, 999})
	if err != nil || len(first) != 2 {
		t.Fatalf("first chunks %v %v", first, err)
	}
	rows, err := v.SearchChunks(ctx, []int64{first[ferry], first[lake], 999})
	if err != nil || len(rows) != 2 {
		t.Fatalf("chunk rows %+v %v (the missing id is left out)", rows, err)
	}
	for _, r := range rows {
		want := SearchChunk{ID: first[ferry], DocID: ferry, Title: "Ferry", Heading: "HFerry", Text: PlainText("the ferry crossed in a storm"),
			MediaType: "text/plain", Collection: DefaultCollection, Weight: 1, PageEnd: r.PageEnd, Page: r.Page, Date: r.Date}
		if r.DocID == lake {
			want = SearchChunk{ID: first[lake], DocID: lake, Title: "Lake", Heading: "HLake", Text: PlainText("a storm over the lake"),
				MediaType: "application/pdf", Collection: "work", Weight: 2, PageEnd: r.PageEnd, Page: r.Page, Date: r.Date}
		}
		if r.Date <= 0 || r.Timed {
			t.Errorf("chunk %d: date %d, timed %v", r.ID, r.Date, r.Timed)
		}
		r.Marks = nil
		if r.Ordinal != 0 || r.Title != want.Title || r.Heading != want.Heading || textOf(r.Text) != textOf(want.Text) || r.MediaType != want.MediaType ||
			r.Collection != want.Collection || r.Weight != want.Weight {
			t.Errorf("row %+v, want %+v", r, want)
		}
	}
	// A second copy of the ferry file: the document keeps its first path.
	if id, _, err := s.Index(ctx, "", Source{Path: "/A copy of Ferry"}, Content{Hash: "Ferry", Title: "Ferry"}); err != nil || id != ferry {
		t.Fatalf("copy indexed as %d (%v), want document %d", id, err, ferry)
	}
	if d, err := s.GetDocument(ctx, ferry); err != nil || len(d.Paths) != 2 {
		t.Fatalf("ferry's paths %v %v", d.Paths, err)
	}
	if paths, err := v.FirstPaths(ctx, []int64{ferry, lake, 999}); err != nil || len(paths) != 2 || paths[ferry] != "/Ferry" || paths[lake] != "/Lake" {
		t.Errorf("first paths %v %v", paths, err)
	}
	near, err := v.Neighbours(ctx, first[ferry]+1, 1)
	if want := []string{"the ferry crossed in a storm", "it came back calm", "and sank at last"}; err != nil || !slices.Equal(near, want) {
		t.Errorf("neighbours %q %v, want %q", near, err, want)
	}
	if id, ok, err := v.CollectionID(ctx, "work"); err != nil || !ok || id == 0 {
		t.Errorf("collection work: %d %v %v", id, ok, err)
	}
	if _, ok, err := v.CollectionID(ctx, "nowhere"); err != nil || ok {
		t.Errorf("collection nowhere: %v %v", ok, err)
	}
}

// An IN list is padded to a few shapes, so its statement's text repeats
// (and the statement cache serves it), with nothing but its own ids.
func TestInListShapes(t *testing.T) {
	cases := []struct {
		ids   []int64
		marks int
	}{
		{nil, 0},
		{[]int64{7}, 8},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8}, 8},
		{make([]int64, 9), 16},
		{make([]int64, 1000), 1024},
		{make([]int64, 1500), 1500},
	}
	for _, tc := range cases {
		marks, args := inList(tc.ids)
		if n := strings.Count(marks, "?"); n != tc.marks || len(args) != tc.marks {
			t.Errorf("%d ids: %d marks, %d args; want %d", len(tc.ids), n, len(args), tc.marks)
		}
		for _, a := range args {
			if !slices.Contains(tc.ids, a.(int64)) {
				t.Errorf("%d ids: argument %v is none of them", len(tc.ids), a)
			}
		}
	}
}

// Terms asks the full-text tokenizer about many words at once, each
// answered as if asked alone: its Porter stem, folded; not one term when
// it makes none or two.
func TestTermsOfWords(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	words := []string{"fermented", "Café", "", "well-known", "Fermenting", "running"}
	got, err := s.SearchView().Terms(ctx, words)
	if err != nil {
		t.Fatal(err)
	}
	want := []WordTerm{{"ferment", true}, {"cafe", true}, {"", false}, {"", false}, {"ferment", true}, {"run", true}}
	for i := range want {
		w := want[i]
		if words[i] == "well-known" { // two terms: only whether it is one counts
			if got[i].OK {
				t.Errorf("%q: %+v, want not one term", words[i], got[i])
			}
			continue
		}
		if got[i] != w {
			t.Errorf("%q: %+v, want %+v", words[i], got[i], w)
		}
	}
	if none, err := s.SearchView().Terms(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("no words: %v, %v", none, err)
	}
}

// BenchmarkTerms asks the full-text tokenizer for one word's term, as a
// query with a word the vault never spells does.
func BenchmarkTerms(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "v.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for range b.N {
		if _, err := s.SearchView().Terms(context.Background(), []string{"fermented"}); err != nil {
			b.Fatal(err)
		}
	}
}

func textOf(t ChunkText) string {
	s, err := t.Unpack()
	if err != nil {
		return "error: " + err.Error()
	}
	return s
}

// TestPinnedStamps: a pinned view answers the stamps and totals as the
// store gave them when it was pinned, and one statement read them all.
func TestPinnedStamps(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	add := func(title string) {
		t.Helper()
		text := "the " + title + " crossed the lake in a storm"
		c := Content{Hash: title, Title: title, Text: text, Chunks: []Chunk{{Text: text, CharEnd: len(text)}}}
		if _, _, err := s.Index(ctx, "", Source{Path: "/" + title}, c); err != nil {
			t.Fatal(err)
		}
	}
	add("ferry")
	v := s.SearchView()
	stamps := func(v SearchView) [3]string {
		t.Helper()
		lex, err1 := v.LexicalStamp(ctx)
		tot, err2 := v.LexicalTotals(ctx)
		rows, err3 := v.ChunkRowsStamp(ctx)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		return [3]string{lex, fmt.Sprint(tot), rows}
	}
	p, err := v.Pinned(ctx)
	if err != nil {
		t.Fatal(err)
	}
	was := stamps(v)
	if got := stamps(p); got != was {
		t.Fatalf("pinned %q, the store %q", got, was)
	}
	add("barge")
	now := stamps(v)
	for i := range now {
		if now[i] == was[i] {
			t.Errorf("stamp %d did not move with a new document", i)
		}
	}
	if got := stamps(p); got != was {
		t.Errorf("the pinned view moved with the store: %q, want %q", got, was)
	}
}
