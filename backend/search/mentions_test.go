package search

import (
	"fmt"
	"testing"

	"github.com/hoardvault/hoard/backend/store"
)

// TestMentions checks which defined names a text is found to name: the
// longest first, one-word names only capitalized, connectors inside a
// name but never at its start.
func TestMentions(t *testing.T) {
	e := &entityIndex{}
	e.set([]store.EntityDefiner{
		{Name: "new york", DocID: 1}, {Name: "york", DocID: 2}, {Name: "bank of america", DocID: 3},
		{Name: "lock", DocID: 4}, {Name: "the hague", DocID: 5}, {Name: "hague", DocID: 6},
		{Name: "tp53", DocID: 7}, {Name: "café de flore", DocID: 8}, {Name: "introduction", DocID: 9},
	}, "1")
	cases := []struct {
		text string
		want string // name@word position, in order
	}{
		{"He moved to New York in 1990.", "[new york@3]"},
		{"York, not new York.", "[york@0 york@3]"},
		{"She worked at Bank of America and the bank of America.", "[bank of america@3]"},
		{"Take the lock; LOCK is held. Lock it.", "[lock@3 lock@6]"},
		{"The Hague and the Hague.", "[the hague@0 hague@4]"},
		{"Mutant TP53 and 53 others.", "[tp53@1]"},
		{"Coffee at Café de Flore, Paris.", "[café de flore@2]"},
		{"Introduction", "[]"},
		{"", "[]"},
	}
	for _, tc := range cases {
		var got []string
		for _, m := range e.mentions(tc.text) {
			got = append(got, fmt.Sprintf("%s@%d", m.name, m.pos))
		}
		if s := fmt.Sprint(got); s != tc.want && !(len(got) == 0 && tc.want == "[]") {
			t.Errorf("mentions(%q) = %s, want %s", tc.text, s, tc.want)
		}
	}
}

func BenchmarkMentions(b *testing.B) {
	e := &entityIndex{}
	var defs []store.EntityDefiner
	for i := range 5000 {
		defs = append(defs, store.EntityDefiner{Name: fmt.Sprintf("gene %d protein", i), DocID: int64(i)})
	}
	e.set(defs, "1")
	text := ""
	for range 30 {
		text += "The Mutant Gene 12 Protein binds DNA in Human Cells, while p53 and BRCA1 do not. "
	}
	b.ReportAllocs()
	for b.Loop() {
		e.mentions(text)
	}
}
