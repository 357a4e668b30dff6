package memory

import (
	"fmt"
	"strings"
	"testing"
)

// prose writes sentences of eight words, "Some" and seven drawn in turn
// from n distinct content words.
func prose(sentences, n int) string {
	var b strings.Builder
	for k := range 7 * sentences {
		if k%7 == 0 {
			b.WriteString("Some ")
		}
		fmt.Fprintf(&b, "word%sx ", strings.Repeat(string(rune('a'+k%n%26)), 1+k%n/26))
		if k%7 == 6 {
			b.WriteString("here. ")
		}
	}
	return b.String()
}

// The gist and keyphrases are worked out for every document ingestion
// stores: their allocations must not grow with each distinct word or each
// sentence (a map of forms for every word, a set and a slice for every
// sentence, were most of their time).
func TestGistAllocations(t *testing.T) {
	gist := func(s string) { Gist("Title", s, 2, 320) }
	keys := func(s string) { Keyphrases("Title", s, 8) }
	for _, c := range []struct {
		name         string
		fn           func(string)
		small, large string
		grown        float64 // how many more distinct words, or sentences, large has
		most         float64 // allocations each may add
	}{
		// The same 200 sentences, from 50 distinct words and from 800.
		{"Keyphrases per distinct word", keys, prose(200, 50), prose(200, 800), 750, 0.1},
		{"Gist per distinct word", gist, prose(200, 50), prose(200, 800), 750, 0.1},
		// 100 sentences and 400, from the same 100 words; lowering a
		// sentence's "Some" is one allocation.
		{"Gist per sentence", gist, prose(100, 100), prose(400, 100), 300, 1.5},
	} {
		a := testing.AllocsPerRun(20, func() { c.fn(c.small) })
		b := testing.AllocsPerRun(20, func() { c.fn(c.large) })
		if per := (b - a) / c.grown; per > c.most {
			t.Errorf("%s: %.2f allocations (%v, then %v)", c.name, per, a, b)
		}
	}
}
