package answer

import (
	"reflect"
	"strings"
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
		{"What is the speed of light?", 0.35, false},                       // no name: the best sentence must hold 36%
		{"What is the speed of light?", 0.36, true},
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

// The decision weighs the question's words by their rarity in the vault
// when the searcher tells it: a sentence holding a word the vault has
// everywhere does not answer a question whose other word it never holds,
// though among the passages both are found once.
func TestSupportWeighsByVaultRarity(t *testing.T) {
	hits := []search.Hit{{ChunkID: 1, Title: "Planner", Text: "The planner chooses a plan from the statistics."}}
	for _, tc := range []struct {
		name    string
		rare    map[string]float64
		nothing bool
	}{
		{"passages only", nil, false},
		{"vault: planner common, whistle never seen", map[string]float64{"planner": 1.2, "whistl": 9.9}, true},
		{"vault: both rare", map[string]float64{"planner": 8.0, "whistl": 9.9}, false},
	} {
		a := extract("Does the planner whistle?", hits, 3, tc.rare)
		if a.NotInVault != tc.nothing {
			t.Errorf("%s: nothing %v, want %v: %q %+v", tc.name, a.NotInVault, tc.nothing, a.Answer, a.Trace)
		}
	}
}

func TestOfPairs(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want [][2]string
	}{
		{"What is the speed of light?", [][2]string{{"speed", "light"}}},
		{"Who is the father of the director of the film Inception?", [][2]string{{"father", "director"}, {"director", "film"}}},
		{"How many bottles of water were delivered?", [][2]string{{"bottl", "water"}}},
		{"What is the default value of shared_buffers?", [][2]string{{"valu", "share"}}},
		{"How many moons does Jupiter have?", nil},
		{"Which of these is it?", nil}, // "which" opens the question
	} {
		if got := ofPairs(tc.q); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.q, got, tc.want)
		}
	}
}

// A sentence that opens by pointing back ("This module looks at…") is
// given with the heading it points to, or it never says which module; a
// sentence that stands alone is given as it is.
func TestBackReferenceKeepsItsHeading(t *testing.T) {
	h := search.Hit{Title: "Course outline", Heading: "Module Three: Design and Prototyping",
		Text: "Module Three: Design and Prototyping\n\nThis module looks at the design team and how prototypes are tested.\n\nModule Four: Launch\n\nLaunch plans follow the design of the prototypes."}
	a := extract("Which module covers design and prototyping?", []search.Hit{h}, 3, nil)
	for _, want := range []string{
		"Module Three: Design and Prototyping — This module looks at the design team",
		"Launch plans follow the design of the prototypes. [1]",
	} {
		if !strings.Contains(a.Answer, want) {
			t.Errorf("answer %q lacks %q", a.Answer, want)
		}
	}
	if strings.Contains(a.Answer, "Launch — Launch plans") {
		t.Errorf("a sentence that stands alone got a heading: %q", a.Answer)
	}
}
