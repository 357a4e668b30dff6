package search

import (
	"regexp"
	"strings"
)

// Leading phrases people type to a chat box rather than a search box.
var chatCruft = regexp.MustCompile(`(?i)^\s*(?:(?:hi|hello|hey)\b[,!.]*|please\b|(?:can|could|would|will) you\b|(?:tell|show|find|give|get) me\b|i(?:'d| would)? (?:like|want|need) to (?:know|find|see)\b|search(?: for)?\b|look(?:ing)? (?:up|for)\b|find\b|do you know\b|what do (?:my notes|i know|you know|the documents?) (?:say )?about\b)\s*[,:]?\s*`)

var trailingCruft = regexp.MustCompile(`(?i)(?:[\s,.!?]+|\b(?:please|thanks?(?: you)?|thx)\b)+$`)

// Normalize strips chat cruft ("hey, can you tell me …", "thanks!") and
// e-mail style quoting from a query, keeping the question itself. If nothing
// would be left, the query is returned as it was.
func Normalize(q string) string {
	lines := strings.Split(q, "\n")
	for i, ln := range lines {
		lines[i] = strings.TrimLeft(ln, "> \t")
	}
	s := strings.Join(lines, " ")
	for {
		next := chatCruft.ReplaceAllString(s, "")
		// A lone word before a lone word is a term, not a request:
		// "search path", "find command" keep both.
		if next == s || len(strings.Fields(next)) == 1 && len(strings.Fields(s)) == 2 {
			break
		}
		s = next
	}
	s = trailingCruft.ReplaceAllString(s, "")
	if strings.TrimSpace(s) == "" {
		return q
	}
	return s
}

// extraStop are common words that carry no topic, beyond the query stop list.
var extraStop = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`also than more most other some only into over after before between both each
		same very just being been having here while during under within without however although these those
		were which where whose there their them they then thus may might must shall should would could
		used using use one two three first second new well known including include includes including`) {
		m[w] = true
	}
	return m
}()
