package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
)

func TestMarksEncoding(t *testing.T) {
	cases := []struct {
		name  string
		marks []Mark
	}{
		{"none", nil},
		{"one", []Mark{{0, 69120}}},
		{"words", []Mark{{0, 0}, {7, 380}, {16, 910}, {22, 1400}}},
		{"a time that steps back", []Mark{{0, 5000}, {4, 4990}, {9, 5300}}},
		{"hours in", []Mark{{0, 3 * 3600 * 1000}, {100000, 4 * 3600 * 1000}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := EncodeMarks(tc.marks)
			if len(tc.marks) == 0 && b != nil {
				t.Fatalf("no marks encode as %v, want NULL", b)
			}
			if len(tc.marks) > 0 && len(b) > 1+len(tc.marks)*8 {
				t.Errorf("%d bytes for %d marks: not compact", len(b), len(tc.marks))
			}
			got, err := DecodeMarks(b)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.marks) {
				t.Fatalf("decoded %v (%v), want %v", got, err, tc.marks)
			}
			j, _ := json.Marshal(tc.marks)
			var back []Mark
			if err := json.Unmarshal(j, &back); err != nil || fmt.Sprint(back) != fmt.Sprint(tc.marks) {
				t.Fatalf("JSON %s read back as %v (%v)", j, back, err)
			}
		})
	}
	if j, _ := json.Marshal([]Mark{{3, 69120}}); string(j) != "[[3,69120]]" {
		t.Errorf("JSON %s, want pairs", j)
	}
	for _, bad := range [][]byte{{2, 0, 0}, {1, 0x80}, {1, 4}} {
		if _, err := DecodeMarks(bad); err == nil {
			t.Errorf("%v decoded without an error", bad)
		}
	}
	marks := []Mark{{0, 1000}, {10, 2000}, {20, 3000}}
	for _, c := range []struct {
		char int
		ms   int64
		ok   bool
	}{{0, 1000, true}, {9, 1000, true}, {10, 2000, true}, {500, 3000, true}} {
		if ms, ok := MomentAt(marks, c.char); ms != c.ms || ok != c.ok {
			t.Errorf("MomentAt(%d) = %d %v, want %d %v", c.char, ms, ok, c.ms, c.ok)
		}
	}
	if _, ok := MomentAt([]Mark{{5, 1}}, 2); ok {
		t.Error("a word before the first mark has no moment")
	}
}

// A chunk's marks are stored with it, read back, replaced when the
// recording changes, gone with it, and carried by an export record.
func TestMarksStoredWithChunks(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	memo := func(hash string, marks ...Mark) Content {
		text := "Order the cooling units from Porto."
		return Content{Hash: hash, Title: "memo", MediaType: "audio/wav", Text: text, Chunks: []Chunk{
			{Text: text, CharEnd: len(text), Time: &Span{StartMS: 25160, EndMS: 28920}, Marks: marks},
			{Ordinal: 1, Text: "A note without times.", CharEnd: 21},
		}}
	}
	stored := func(docID int64) []Chunk {
		t.Helper()
		cs, err := s.Chunks(ctx, docID)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	withMarks := func() (n int) {
		s.DB().QueryRow(`SELECT count(*) FROM chunks WHERE time_marks IS NOT NULL`).Scan(&n)
		return n
	}
	first := []Mark{{0, 25160}, {6, 25500}, {10, 25800}, {18, 26200}}
	id, _, err := s.Index(ctx, "", Source{Path: "/memo.wav"}, memo("h1", first...))
	if err != nil {
		t.Fatal(err)
	}
	cs := stored(id)
	if fmt.Sprint(cs[0].Marks) != fmt.Sprint(first) || cs[1].Marks != nil || withMarks() != 1 {
		t.Fatalf("stored marks %v / %v (%d rows with marks)", cs[0].Marks, cs[1].Marks, withMarks())
	}

	// An export record carries them into another vault.
	var rec Record
	var chunks []RecordChunk
	if err := s.EachRecord(ctx, func(r Record) error {
		rec = r
		return s.EachRecordChunk(ctx, r.ID, true, func(c RecordChunk) error { chunks = append(chunks, c); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	rec.Chunks = chunks
	raw, _ := json.Marshal(rec)
	var back Record
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	im, err := other.BeginImport(ctx, ImportConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.Document(ctx, back); err != nil {
		t.Fatal(err)
	}
	for _, c := range back.Chunks {
		if err := im.Chunk(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	oid, _ := other.DocumentIDForPath(ctx, "/memo.wav")
	if oc, _ := other.Chunks(ctx, oid); len(oc) != 2 || fmt.Sprint(oc[0].Marks) != fmt.Sprint(first) {
		t.Fatalf("imported marks %+v", oc)
	}

	// The recording changes: the new marks replace the old.
	second := []Mark{{0, 1000}, {6, 1300}}
	if _, _, err := s.Index(ctx, "", Source{Path: "/memo.wav"}, memo("h2", second...)); err != nil {
		t.Fatal(err)
	}
	if cs := stored(id); fmt.Sprint(cs[0].Marks) != fmt.Sprint(second) || withMarks() != 1 {
		t.Fatalf("after re-index: %v (%d rows with marks)", cs[0].Marks, withMarks())
	}
	// Removing the recording removes them.
	if err := s.RemoveSource(ctx, "/memo.wav"); err != nil {
		t.Fatal(err)
	}
	if withMarks() != 0 {
		t.Fatalf("%d chunks' marks outlived their recording", withMarks())
	}
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
}

// Marks come back from disk: whatever the bytes, decoding returns an error
// or marks that encode and decode to themselves, never a panic.
func FuzzDecodeMarks(f *testing.F) {
	f.Add(EncodeMarks([]Mark{{Char: 0, MS: 0}, {Char: 5, MS: 320}, {Char: 9, MS: 300}}))
	f.Add([]byte{marksFormat, 0x80})
	f.Add([]byte{7, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		marks, err := DecodeMarks(b)
		if err != nil || len(marks) == 0 {
			return
		}
		if len(marks) > len(b) {
			t.Fatalf("%d marks from %d bytes", len(marks), len(b))
		}
		again, err := DecodeMarks(EncodeMarks(marks))
		if err != nil || len(again) != len(marks) {
			t.Fatalf("round trip: %v, %d of %d marks", err, len(again), len(marks))
		}
	})
}
