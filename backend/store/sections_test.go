package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"
)

// A document's one section that is all of its text, with no page or
// heading, is not stored: it reads back as it was. A document of no
// sections keeps none, and several are kept as they are.
func TestWholeSectionNotStored(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	text := "Ünïcode text of a document, in one section or several."
	n := utf8.RuneCountInString(text)
	cases := []struct {
		name string
		secs []Section
		rows int
	}{
		{"one, all of the text", []Section{{CharStart: 0, CharEnd: n}}, 0},
		{"none", nil, 1}, // a mark that there are none
		{"one with a heading", []Section{{Heading: "Intro", CharStart: 0, CharEnd: n}}, 1},
		{"one on a page", []Section{{Page: 1, CharStart: 0, CharEnd: n}}, 1},
		{"one, part of the text", []Section{{CharStart: 0, CharEnd: n - 3}}, 1},
		{"two", []Section{{CharStart: 0, CharEnd: 10}, {CharStart: 10, CharEnd: n}}, 2},
	}
	for i, tc := range cases {
		c := Content{Hash: fmt.Sprint("s", i), Title: "T", Text: text, Sections: tc.secs, Chunks: chunksAt(text, [2]int{0, n})}
		id, _, err := s.Index(ctx, "", Source{Path: fmt.Sprintf("/s%d", i)}, c)
		if err != nil {
			t.Fatal(err)
		}
		var rows int
		s.DB().QueryRow(`SELECT count(*) FROM sections WHERE document_id = ?`, id).Scan(&rows)
		if rows != tc.rows {
			t.Errorf("%s: %d rows stored, want %d", tc.name, rows, tc.rows)
		}
		got, err := s.Sections(ctx, id)
		if err != nil || !slices.Equal(got, tc.secs) {
			t.Errorf("%s: Sections reads %+v (%v), want %+v", tc.name, got, err, tc.secs)
		}
	}
	// A document with no text has no section to imply.
	id, _, err := s.Index(ctx, "", Source{Path: "/empty"}, Content{Hash: "empty", Title: "E"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Sections(ctx, id); err != nil || len(got) != 0 {
		t.Errorf("an empty document has sections %+v (%v)", got, err)
	}
	// An export and its import carry the sections as they read.
	var recs []Record
	if err := s.EachRecord(ctx, func(r Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(cases)+1 || !slices.Equal(recs[0].Sections, cases[0].secs) || len(recs[1].Sections) != 0 {
		t.Fatalf("export: %d records, sections %+v", len(recs), recs[0].Sections)
	}
	s2, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	im, err := s2.BeginImport(ctx, ImportConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[:2] {
		if _, err := im.Document(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]Section{cases[0].secs, nil} {
		id := int64(i + 1)
		if got, err := s2.Sections(ctx, id); err != nil || !slices.Equal(got, want) {
			t.Errorf("imported %d: sections %+v (%v), want %+v", id, got, err, want)
		}
	}
}

// An older vault's document of no sections keeps none once the build
// that leaves a whole section unstored opens it; one it stored reads as
// before.
func TestOpenMarksDocumentsWithoutSections(t *testing.T) {
	ctx := context.Background()
	file, db := olderVault(t, 18)
	fillOlderVault(t, db, 2)
	// Document 1 has none, 2 one that is all of its text, as an older
	// build stored it.
	if _, err := db.Exec(`INSERT INTO sections (document_id, ordinal, page, heading, char_start, char_end) VALUES (2, 0, 0, '', 0, 10)`); err != nil {
		t.Fatal(err)
	}
	var before []Section
	rows, err := db.Query(`SELECT page, heading, char_start, char_end FROM sections WHERE document_id = 2 ORDER BY ordinal`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var sec Section
		rows.Scan(&sec.Page, &sec.Heading, &sec.CharStart, &sec.CharEnd)
		before = append(before, sec)
	}
	rows.Close()
	db.Close()
	if len(before) == 0 {
		t.Fatal("the older vault's document 2 has no sections to keep")
	}
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Sections(ctx, 1); err != nil || len(got) != 0 {
		t.Errorf("document 1 reads sections %+v (%v), want none", got, err)
	}
	if got, err := s.Sections(ctx, 2); err != nil || !slices.Equal(got, before) {
		t.Errorf("document 2 reads sections %+v (%v), want %+v", got, err, before)
	}
}
