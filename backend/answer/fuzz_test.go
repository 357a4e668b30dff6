package answer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/search"
)

// Questions are user input: reading names, follow-ups and summary requests
// from any string must not panic, and names come from the question's words.
func FuzzQuestion(f *testing.F) {
	for _, s := range []string{"Who directed Inception?", `What about "Le Samouraï"?`, "summarize (", "“", "and?", "A. B. C.", "\"\"", "Summarize what my notes say about", "Ω the Ω"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, n := range Names(q) {
			if n == "" || (utf8.ValidString(q) && !utf8.ValidString(n)) {
				t.Fatalf("Names(%q) gave %q", q, n)
			}
			if !strings.Contains(q, strings.Fields(n)[0]) {
				t.Fatalf("Names(%q) gave %q, not from the question", q, n)
			}
		}
		_ = isFollowUp(q)
		if topic := SummaryTopic(q); topic != "" && !strings.Contains(q, topic) {
			t.Fatalf("SummaryTopic(%q) = %q", q, topic)
		}
	})
}

// A term line before prose says what the prose is about: its words count
// for the sentences under it, and it is no answer itself. A list of short
// items is no term line: an item can be the answer.
func TestTermLines(t *testing.T) {
	for _, tc := range []struct {
		name, question, text, want string
	}{
		{"definition list", "What is the default value of shared_buffers?",
			"shared_buffers (integer)\n\nSets the amount of memory the server uses for shared memory buffers. The default is typically 128 megabytes.\n\nwork_mem (integer)\n\nThe default value is four megabytes.",
			"The default is typically 128 megabytes. [1]"},
		{"list of items", "Which prototyping methodologies are covered?",
			"● Design thinking and innovation\n\n● Prototyping methodologies\n\n● User testing and feedback",
			"● Prototyping methodologies [1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := extract(tc.question, []search.Hit{{Title: "Doc", Text: tc.text}}, 3, nil)
			if !strings.Contains(a.Answer, tc.want) {
				t.Errorf("answer %q, want %q in it", a.Answer, tc.want)
			}
		})
	}
}
