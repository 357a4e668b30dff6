package search

import (
	"strings"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/store"
)

// momentWords is how far (in words, about one spoken sentence) the matches
// of one mention of the query may spread.
const momentWords = 16

// moment is when a transcript chunk says what the query asks for: the time
// of the first matched word of the mention that matches the most distinct
// query words, the tightest on a tie, the earliest after that. A mention
// ends with its sentence, so query words said just before, in passing
// ("…and the hiring plan. Action item: Anna drafts the hiring plan"), do
// not pull the citation away from the sentence that says them all.
// ok is false when no word matches (a hit by meaning alone).
func (m matcher) moment(text string, marks []store.Mark, kept []uint32) (ms int64, ok bool) {
	type hit struct {
		word, sentence int // indexes among the words and sentences
		at             int // byte offset
		term           int // the query term it matches (matcher.terms)
	}
	var hits []hit
	buf := spansOf(text)
	defer putSpans(buf)
	spans := *buf
	m.terms(text, spans, kept)
	sentence := 0
	for i, sp := range spans {
		if sp.term >= 0 {
			hits = append(hits, hit{i, sentence, int(sp.start), int(sp.term)})
		}
		if i+1 < len(spans) && strings.ContainsAny(text[sp.end:spans[i+1].start], ".!?。！？") {
			sentence++
		}
	}
	if len(hits) == 0 {
		return 0, false
	}
	best, bestTerms, bestSpread := 0, 0, 0
	seen := map[int]bool{}
	for i, h := range hits {
		clear(seen)
		spread := 0
		for _, g := range hits[i:] {
			if g.word-h.word >= momentWords || g.sentence != h.sentence {
				break
			}
			if !seen[g.term] {
				seen[g.term] = true
				spread = g.word - h.word
			}
		}
		if len(seen) > bestTerms || len(seen) == bestTerms && spread < bestSpread {
			best, bestTerms, bestSpread = i, len(seen), spread
		}
	}
	return store.MomentAt(marks, utf8.RuneCountInString(text[:hits[best].at]))
}
