package search

import (
	"strings"
	"testing"
)

func TestSnippet(t *testing.T) {
	long := strings.Repeat("filler words here ", 40)
	cases := []struct {
		query, text string
		want        []string // substrings the snippet must have
		not         []string
	}{
		{"property", "These properties matter.", []string{"<mark>properties</mark>"}, nil},
		{"bottles water", long + "There were 20,000 bottles of water delivered. " + long, []string{"<mark>bottles</mark> of <mark>water</mark>", "…"}, nil},
		{"x", "a < b & <mark> x", []string{"&lt; b &amp; &lt;mark&gt; <mark>x</mark>"}, nil},
		{"photo*", "Photographs and photos.", []string{"<mark>Photographs</mark>", "<mark>photos</mark>"}, nil},
		{"the cat", "the cat sat", []string{"the <mark>cat</mark>"}, []string{"<mark>the</mark>"}},
		{"nothing", "no match here", []string{"no match here"}, []string{"<mark>"}},
		// Stems whose first letters are not the word's ("cry" is "cri").
		{"cry", "They cry, and he cried.", []string{"<mark>cry</mark>", "<mark>cried</mark>"}, nil},
		{"die", "Cells dying young.", []string{"<mark>dying</mark>"}, nil},
	}
	for _, tc := range cases {
		m := testMatcher(tc.query)
		got := m.snippet(tc.text, nil)
		// From a kept split's stem ids, the same snippet.
		if kept := m.snippet(tc.text, newSplit(m.voc, [3]string{"", "", tc.text}, false).sid[2]); kept != got {
			t.Errorf("%q: from the kept split %q, from the text %q", tc.query, kept, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%q in %.40q: snippet %q lacks %q", tc.query, tc.text, got, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(got, w) {
				t.Errorf("%q: snippet %q has %q", tc.query, got, w)
			}
		}
	}
}

// testMatcher matches a query's words.
func testMatcher(query string) matcher { return newMatcher(Parse(query), newVocab()) }

// BenchmarkSnippet cuts the snippet of an abstract-sized passage, its
// words' stem ids kept (as a hit's are).
func BenchmarkSnippet(b *testing.B) {
	text := strings.Repeat("Alterations of the architecture of cerebral white matter in the developing human brain can affect cortical development (n = 14) and result in functional disabilities. ", 10)
	m := testMatcher("cerebral development disabilities")
	kept := newSplit(m.voc, [3]string{"", "", text}, false).sid[2]
	b.ReportAllocs()
	for b.Loop() {
		m.snippet(text, kept)
	}
}
