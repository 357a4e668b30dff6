package search

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/store"
)

// The cited moment is the first matched word of the mention that says the
// most of the query, not the first query word the passage happens to say.
func TestMoment(t *testing.T) {
	// Each word is spoken a second after the one before it, from 100 s.
	text := "The server room needs two extra cooling units before August.\n" +
		"Remember to order the cooling units from the supplier in Porto.\n" +
		"Slides should show revenue growth and the hiring plan.\n" +
		"Action item: Anna drafts the hiring plan and shares it by Wednesday."
	var marks []store.Mark
	second := map[string]int64{} // the first time each word is spoken
	for i, sp := range wordSpans(text) {
		ms := int64(100+i) * 1000
		marks = append(marks, store.Mark{Char: utf8.RuneCountInString(text[:sp.start]), MS: ms})
		w := strings.ToLower(text[sp.start:sp.end])
		if _, ok := second[w]; !ok {
			second[w] = ms
		}
	}
	cases := []struct {
		query string
		want  int64 // ms; -1: no moment
	}{
		{"Porto", second["porto"]},
		{"cooling units", second["cooling"]},                        // the first mention, when both say it all
		{"remember to order the cooling units", second["remember"]}, // not the earlier "cooling units"
		{"cooling units from the supplier in Porto", 114000},        // the second "cooling", word 14
		{"action item drafts the hiring plan", second["action"]},    // not the "hiring plan" just before
		{"supplier*", second["supplier"]},                           // a prefix
		{"\"revenue growth\"", second["revenue"]},                   // a phrase
		{"budget for furniture", -1},                                // by meaning alone: the caller cites the passage's start
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			m := testMatcher(tc.query)
			got, ok := m.moment(text, marks, nil)
			if k, kok := m.moment(text, marks, newSplit(m.voc, [3]string{"", "", text}, false).sid[2]); k != got || kok != ok {
				t.Errorf("from the kept split %d %v, from the text %d %v", k, kok, got, ok)
			}
			if !ok {
				got = -1
			}
			if got != tc.want {
				t.Fatalf("moment %d ms, want %d", got, tc.want)
			}
		})
	}
}

func TestPages(t *testing.T) {
	for _, c := range []struct {
		page, end int
		want      string
	}{
		{0, 0, ""}, {3, 0, "p. 3"}, {3, 3, "p. 3"}, {51, 52, "pp. 51–52"}, {1, 6, "pp. 1–6"},
	} {
		if got := Pages(c.page, c.end); got != c.want {
			t.Errorf("Pages(%d, %d) = %q, want %q", c.page, c.end, got, c.want)
		}
	}
}
