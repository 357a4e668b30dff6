package answer

import (
	"reflect"
	"testing"

	"github.com/hoardvault/hoard/backend/search"
)

// The decision whether the passages answer a question, made before any
// model is asked.
func TestAnswersDecision(t *testing.T) {
	hits := []search.Hit{
		{ChunkID: 1, Title: "Inception", Text: "Inception is a 2010 film written and directed by Christopher Nolan."},
		{ChunkID: 2, Title: "Christopher Nolan", Text: "Nolan was born on 30 July 1970 in Westminster, London."},
		{ChunkID: 3, Title: "Gilukhipa", Text: "Gilukhipa was a Mitanni princess, daughter of King Shuttarna II."},
		{ChunkID: 4, Title: "War and Peace", Text: "Anna Pavlovna had had a cough for some days."},
	}
	for _, tc := range []struct {
		q    string
		best float64 // the best sentence's coverage
		want bool
	}{
		{"In which city was the director of Inception born?", 0.2, true},   // "directed" is akin to "director"
		{"Who was born first, Inception or Christopher Nolan?", 0.1, true}, // a comparison of two things found
		{"Are Inception and Gilukhipa from the same country?", 0.1, true},  // "A and B" are two names
		{"Which king was Gilukhipa's father?", 0.1, true},                  // the possessive dropped; "king" beside the name
		{"Who was Gilukhipa's husband?", 0.1, false},                       // nothing beside the name the question asks
		{"Who painted the Mona Lisa?", 0.9, false},                         // a name not in the passages, whatever the sentences
		{"Are Inception and Oppenheimer both films?", 0.9, false},          // one of two names missing
		{"Who wrote War and Peace?", 0.1, false},                           // the name found, nothing else the question asks
		{"Where was Wilderness (Miniseries) filmed?", 0.1, false},          // parenthesized words are no name, and Wilderness is not there
		{"What is the speed of light?", 0.34, false},                       // no name: the best sentence must hold 35%
		{"What is the speed of light?", 0.35, true},
	} {
		if got, why := answers(tc.q, hits, tc.best); got != tc.want {
			t.Errorf("%q (best %.2f): %v (%s), want %v", tc.q, tc.best, got, why, tc.want)
		}
	}
}

func TestCheckCitations(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		removed []int
	}{
		{"Born in London [2].", "Born in London [2].", nil},
		{"Born in London [2][9].", "Born in London [2].", []int{9}},
		{"Born [0] in London [4].", "Born in London.", []int{0, 4}},
		{"First line [1].\n\nSecond [7] line.", "First line [1].\n\nSecond line.", []int{7}},
	} {
		out, removed := checkCitations(tc.in, 3)
		if out != tc.out || !reflect.DeepEqual(removed, tc.removed) {
			t.Errorf("%q: %q %v, want %q %v", tc.in, out, removed, tc.out, tc.removed)
		}
	}
}
