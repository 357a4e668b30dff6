package memory

import (
	"reflect"
	"strings"
	"testing"
)

func TestSentences(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"One. Two! Three? four", []string{"One.", "Two!", "Three? four"}},
		{"Use e.g. the first. Then 2 more.", []string{"Use e.g. the first.", "Then 2 more."}},
		{"# Heading\nA line.\n\n- item", []string{"# Heading", "A line.", "- item"}},
		{"Ends with a stop.", []string{"Ends with a stop."}},
		{"", nil},
		{"Ünïcode. Élan vital.", []string{"Ünïcode.", "Élan vital."}},
		// Wrapped text joins; a hyphenated word is mended.
		{"He went up to Anna Pavlovna,\nand said that the sol-\ndiers were tired. They slept.", []string{"He went up to Anna Pavlovna, and said that the soldiers were tired.", "They slept."}},
		{"200 laptops delivered on January 23,\n2023. A total of 3 trucks.", []string{"200 laptops delivered on January 23, 2023.", "A total of 3 trucks."}},
		// Units on their own lines stay apart.
		{"Introduction\nThe first part.\n- one item\n- two items\n| a | b |\n| c | d |", []string{"Introduction", "The first part.", "- one item", "- two items", "| a | b |", "| c | d |"}},
	} {
		if got := Sentences(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Sentences(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

const doc = `Photosynthesis

Photosynthesis is the process by which plants turn light into chemical energy.
Short line.
Chlorophyll in the leaves absorbs light, and the energy splits water. The light reactions make oxygen.
The weather was pleasant that day, said nobody in particular at the time.
In the Calvin Cycle, plants fix carbon dioxide into sugars using that energy. The Calvin Cycle needs light indirectly.`

func TestGist(t *testing.T) {
	g := Gist("Photosynthesis", doc, 2, 320)
	if !strings.Contains(g, "Photosynthesis is the process") || strings.Contains(g, "weather") || strings.Contains(g, "Short line") {
		t.Errorf("gist %q", g)
	}
	if n := len(Sentences(g)); n != 2 {
		t.Errorf("gist has %d sentences: %q", n, g)
	}
	if g := Gist("T", doc, 3, 80); len(g) > 80+len("…") || !strings.HasSuffix(g, "…") {
		t.Errorf("gist not cut to 80 bytes: %q", g)
	}
	if g := Gist("Only a title", "", 2, 100); g != "" {
		t.Errorf("empty text gave gist %q", g)
	}
}

func TestKeyphrases(t *testing.T) {
	k := Keyphrases("Photosynthesis", doc, 5)
	for _, want := range []string{"calvin cycle", "light", "photosynthesis"} {
		found := false
		for _, x := range k {
			found = found || x == want
		}
		if !found {
			t.Errorf("keyphrases %q lack %q", k, want)
		}
	}
	if len(k) > 5 {
		t.Errorf("%d keyphrases, asked for 5", len(k))
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"one two three four", 10, "one two…"},
		{"abcdefghijklmnop", 5, "abcde…"},
	} {
		if got := Clip(tc.in, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
