package answer

import (
	"strings"
	"testing"
	"unicode/utf8"
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
