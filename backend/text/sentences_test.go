package text

import (
	"reflect"
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
