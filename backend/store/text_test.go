package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// chunksAt cuts text into chunks at character offsets [start, end).
func chunksAt(text string, cuts ...[2]int) []Chunk {
	r := []rune(text)
	var out []Chunk
	for i, c := range cuts {
		out = append(out, Chunk{Ordinal: i, Text: string(r[c[0]:c[1]]), CharStart: c[0], CharEnd: c[1]})
	}
	return out
}

// The text is rebuilt exactly from its chunks and what they leave out:
// gaps, overlaps, chunks out of order, text in several scripts.
func TestRestOfAndJoinRest(t *testing.T) {
	text := "# Über\n\nSome text here. Ça va? 日本語の文。\n\n## Next\n\nMore words, the end."
	n := utf8.RuneCountInString(text)
	r := []rune(text)
	gaps := string(r[:8]) + string(r[38:50])
	cases := []struct {
		name   string
		chunks []Chunk
		rest   string
	}{
		{"one chunk, all of it", chunksAt(text, [2]int{0, n}), ""},
		{"gaps between sections", chunksAt(text, [2]int{8, 38}, [2]int{50, n}), gaps},
		{"overlap", chunksAt(text, [2]int{0, 30}, [2]int{20, n}), ""},
		{"out of order", chunksAt(text, [2]int{50, n}, [2]int{8, 38}), gaps},
		{"a chunk inside another", chunksAt(text, [2]int{0, 40}, [2]int{10, 20}), string(r[40:])},
		{"tail left out", chunksAt(text, [2]int{0, 10}), string(r[10:])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rest, ok := restOf(text, chunkSpans(c.chunks))
			if !ok {
				t.Fatal("chunks that are the text were refused")
			}
			if rest != c.rest {
				t.Errorf("rest %q, want %q", rest, c.rest)
			}
			if got := joinRest(rest, chunkSpans(c.chunks)); got != text {
				t.Errorf("rebuilt %q, want %q", got, text)
			}
		})
	}
	// Chunks that are not the text at their offsets keep it whole.
	bad := []struct {
		name   string
		chunks []Chunk
	}{
		{"other text", []Chunk{{Text: "Some text", CharStart: 0, CharEnd: 9}}},
		{"past the end", []Chunk{{Text: "x", CharStart: n, CharEnd: n + 1}}},
		{"byte offsets, not characters", []Chunk{{Text: text[len("# Über\n\n"):len("# Über\n\nSome")], CharStart: len("# Über\n\n"), CharEnd: len("# Über\n\nSome")}}},
		{"no chunks", nil},
	}
	for _, c := range bad {
		if _, ok := restOf(text, chunkSpans(c.chunks)); ok {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// Indexed text is stored once (the chunks hold it); the document's text
// still reads back whole, and content whose chunks are not its text is
// kept whole.
func TestTextStoredOnce(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text := "# Title\n\n" + strings.Repeat("A sentence of the body. ", 200) + "\n\n## Tail\n\nLast words."
	n := utf8.RuneCountInString(text)
	good := Content{Hash: "h1", Title: "T", Text: text, Chunks: chunksAt(text, [2]int{9, 2000}, [2]int{1900, n - 22}, [2]int{n - 11, n})}
	odd := Content{Hash: "h2", Title: "U", Text: text, Chunks: []Chunk{{Text: "rewritten", CharEnd: 9}}}
	for i, c := range []Content{good, odd} {
		id, _, err := s.Index(ctx, "", Source{Path: fmt.Sprintf("/d%d", i)}, c)
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := s.DocumentText(ctx, id)
		if err != nil || got != text {
			t.Fatalf("document %d reads back %d characters (%v), want the %d indexed", i, len(got), err, len(text))
		}
	}
	var stored int
	s.DB().QueryRow(`SELECT length(text) FROM documents WHERE hash = 'h1'`).Scan(&stored)
	if want := len("# Title\n\n") + len("\n\n## Tail\n\n"); stored != want {
		t.Errorf("documents.text holds %d characters beside the chunks, want %d", stored, want)
	}
	s.DB().QueryRow(`SELECT length(text) FROM documents WHERE hash = 'h2'`).Scan(&stored)
	if stored != n {
		t.Errorf("content whose chunks are not its text keeps %d characters, want %d", stored, n)
	}
}

// A vault written before the text was stored once (text_form 0, the whole
// text in documents.text) is converted when it is opened, and reads the same.
func TestOpenConvertsWholeTexts(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	texts := map[int64]string{}
	for i := range 2*compactBatch + 7 {
		text := fmt.Sprintf("# Doc %d\n\nBody %d with ünïcode and more words.", i, i)
		n := utf8.RuneCountInString(text)
		id, _, err := s.Index(ctx, "", Source{Path: fmt.Sprintf("/d%d", i)}, Content{Hash: fmt.Sprint(i), Title: "T", Text: text, Chunks: chunksAt(text, [2]int{len("# Doc ") + len(fmt.Sprint(i)) + 2, n})})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		texts[id] = text
	}
	// As an older Hoard left them.
	for id, text := range texts {
		if _, err := s.DB().Exec(`UPDATE documents SET text = ?, text_form = 0 WHERE id = ?`, text, id); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if s, err = Open(ctx, file); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var left, whole int
	s.DB().QueryRow(`SELECT count(*) FROM documents WHERE text_form <> 1`).Scan(&left)
	s.DB().QueryRow(`SELECT count(*) FROM documents WHERE text LIKE '%Body%'`).Scan(&whole)
	if left != 0 || whole != 0 {
		t.Fatalf("after opening, %d documents are not converted and %d keep their body twice", left, whole)
	}
	for _, id := range ids {
		if _, got, err := s.DocumentText(ctx, id); err != nil || got != texts[id] {
			t.Fatalf("document %d reads %q (%v), want %q", id, got, err, texts[id])
		}
	}
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
}
