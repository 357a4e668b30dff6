package search

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hoardvault/hoard/backend/text"
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

// runeSpans is what appendWordSpans must find: runs of word runes, read
// one rune at a time.
func runeSpans(s string) []wordSpan {
	var out []wordSpan
	start := -1
	for i, r := range s {
		w := text.IsWordRune(r)
		if w && start < 0 {
			start = i
		} else if !w && start >= 0 {
			out = append(out, wordSpan{int32(start), int32(i), -1})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, wordSpan{int32(start), int32(len(s)), -1})
	}
	return out
}

// The words found 64 ASCII bytes at a time are those found rune by rune,
// whatever the text: words across a block's edge, scripts mixed into
// ASCII, a word at the very end.
func TestWordSpansAsRunes(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/*.md")
	var real string
	for _, f := range docs {
		b, _ := os.ReadFile(f)
		real += string(b)
	}
	if len(real) < 10_000 {
		t.Fatal("no documentation to read")
	}
	word64 := strings.Repeat("a", 64)
	cases := map[string]string{
		"empty":            "",
		"one word":         "word",
		"a block of word":  word64,
		"over the edge":    strings.Repeat(" ", 60) + "across" + strings.Repeat(" ", 70) + word64 + "x",
		"starts in a word": word64 + word64 + " end",
		"mixed scripts":    strings.Repeat("Über Ça va? 日本語の文。 Ελληνικά and ascii words ", 9),
		"ascii then mark":  strings.Repeat("b", 63) + "é" + strings.Repeat("c", 70),
		"real text":        real,
	}
	for name, s := range cases {
		got, want := wordSpans(s), runeSpans(s)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d spans, want %d (first difference at %d)", name, len(got), len(want), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []wordSpan) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func FuzzWordSpans(f *testing.F) {
	f.Add(strings.Repeat("ab cd ", 30) + "é")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := wordSpans(s), runeSpans(s); !slices.Equal(got, want) {
			t.Fatalf("%q: %v, want %v", s, got, want)
		}
	})
}

// BenchmarkWordSpans finds the words of the project's documentation in
// passages of about 1.5 KB, a SciFact abstract's size.
func BenchmarkWordSpans(b *testing.B) {
	docs, _ := filepath.Glob("../../docs/*.md")
	var ps []string
	for _, f := range docs {
		t, _ := os.ReadFile(f)
		for s := string(t); len(s) > 1500; s = s[1500:] {
			ps = append(ps, s[:1500])
		}
	}
	var buf []wordSpan
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = appendWordSpans(buf[:0], ps[i%len(ps)])
	}
}
