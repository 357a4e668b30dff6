package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"unicode/utf8"
)

// An extractive gist's keyphrases are words of its title and text: they
// are stored as references to them, in whatever case the text spells
// them, and read back as they were written, by every reader.
func TestKeyphrasesStoredAsReferences(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	title := "Sourdough Starters"
	text := "Sourdough needs a starter. The starter ferments flour and water for days before baking. " +
		"Rye breads keep longer than wheat breads. Ünïcode names like Café Müller appear in the text too."
	cases := []struct {
		name, keys string
		refs       bool
	}{
		{"words of the text", "starter, flour and water, rye breads, baking, wheat breads, fermentation days", true},
		{"from the title and lower-cased", "sourdough starters, sourdough, café müller, ünïcode names, breads", true},
		{"words the text lacks", "zymurgy, leaven", false},
		{"none", "", false},
		{"separators left as they were", "starter,flour, , water ,, rye breads keep longer", true},
	}
	n := utf8.RuneCountInString(text)
	for i, tc := range cases {
		c := Content{Hash: fmt.Sprint("k", i), Title: title, Text: text, Gist: "The starter ferments flour and water for days before baking.",
			Keyphrases: tc.keys, Chunks: chunksAt(text, [2]int{0, n})}
		if i%2 == 0 {
			c.Pack()
		}
		id, _, err := s.Index(ctx, "", Source{Path: fmt.Sprintf("/k%d", i)}, c)
		if err != nil {
			t.Fatal(err)
		}
		var kind string
		var size int
		s.DB().QueryRow(`SELECT typeof(keyphrases), length(CAST(keyphrases AS BLOB)) FROM gists WHERE document_id = ?`, id).Scan(&kind, &size)
		if got := kind == "blob"; got != tc.refs || tc.refs && size >= len(tc.keys)*2/3 {
			t.Errorf("%s: stored as %s of %d bytes (keyphrases %d), want references %v", tc.name, kind, size, len(tc.keys), tc.refs)
		}
		if g, err := s.Gist(ctx, id); err != nil || g.Keyphrases != tc.keys {
			t.Errorf("%s: Gist reads %q (%v), want %q", tc.name, g.Keyphrases, err, tc.keys)
		}
	}
	all, err := s.Gists(ctx, false, 0)
	if err != nil || len(all) != len(cases) {
		t.Fatalf("Gists: %d (%v)", len(all), err)
	}
	for i, g := range all {
		if g.Keyphrases != cases[i].keys {
			t.Errorf("Gists[%d] keyphrases %q, want %q", i, g.Keyphrases, cases[i].keys)
		}
	}
	var exported []string
	if err := s.EachRecord(ctx, func(r Record) error {
		if r.Gist != nil {
			exported = append(exported, r.Gist.Keyphrases)
		}
		return nil
	}); err != nil || len(exported) != len(cases) || exported[1] != cases[1].keys {
		t.Fatalf("export carries keyphrases %q (%v)", exported, err)
	}
	// The index has the words, not the references.
	gs, err := s.MatchGists(ctx, "wheat", 10)
	if err != nil || len(gs) != 1 || gs[0].DocumentID != all[0].DocumentID || gs[0].Keyphrases != cases[0].keys {
		t.Errorf("wheat matches %+v (%v)", gs, err)
	}
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := unpackKeyphrases([]byte{keysRefs, 201, 1, 3}, "title", "short"); !errors.Is(err, errPacked) {
		t.Errorf("a reference past the text read with %v", err)
	}
}

// Keyphrases read back exactly from their references, whatever the case
// and script of the text they point into.
func TestKeyphrasesRoundTrip(t *testing.T) {
	title, text := "İstanbul and STRASSE", "Die Straße in İstanbul; ΣΊΣΥΦΟΣ and \xff bytes, KELVIN sign \u212a here."
	for _, keys := range []string{
		"straße, istanbul, σίσυφος, kelvin sign, here",
		"i̇stanbul, strasse, \xff bytes",
		"ΣΊΣΥΦΟΣ, die straße in i̇stanbul",
		", , ",
	} {
		stored := packKeyphrases(keys, title, text)
		b, ok := stored.([]byte)
		if !ok {
			if stored != keys {
				t.Errorf("%q: stored as %q", keys, stored)
			}
			continue
		}
		got, err := unpackKeyphrases(b, title, text)
		if err != nil || got != keys {
			t.Errorf("%q: reads back %q (%v)", keys, got, err)
		}
	}
}
