// Package memory writes the global memory's entries without a language
// model: a document's gist (its most central sentences) and keyphrases
// (its most frequent content words and repeated names). A model, when the
// user has one, writes better gists; these keep the memory whole without.
package memory

import (
	"math"
	"sort"
	"strings"

	"github.com/hoardvault/hoard/backend/entity"
	"github.com/hoardvault/hoard/backend/text"
)

// maxGistText bounds the text read: a gist is about what a document opens with
// and dwells on, and long documents must not cost more.
const maxGistText = 40000

// Gist picks up to n sentences that best represent text: those whose content
// words the document repeats most, with a nudge to its opening, in document
// order, cut to maxChars.
func Gist(title, body string, n, maxChars int) string {
	if len(body) > maxGistText {
		body = body[:maxGistText]
	}
	sents := text.Sentences(body)
	tf := map[string]float64{}
	stem := stemmer()
	stems := make([][]string, len(sents))
	var words []string
	for i, s := range sents {
		words = text.AppendWords(words[:0], s)
		for _, w := range words {
			if text.IsStopWord(w) || len(w) < 3 {
				continue
			}
			st := stem(w)
			stems[i] = append(stems[i], st)
			tf[st]++
		}
	}
	type scored struct {
		i     int
		score float64
	}
	var cands []scored
	for i, s := range sents {
		words := len(strings.Fields(s))
		if words < 5 || s == title || len(s) > 600 {
			continue // headings, captions and walls of text read badly as gists
		}
		var sc float64
		seen := map[string]bool{}
		for _, st := range stems[i] {
			if !seen[st] {
				seen[st] = true
				sc += math.Log(1 + tf[st])
			}
		}
		sc /= math.Sqrt(float64(words))
		sc *= 1 + 0.5/float64(1+len(cands))
		cands = append(cands, scored{i, sc})
	}
	if len(cands) == 0 {
		return text.Clip(strings.Join(strings.Fields(body), " "), maxChars)
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].score > cands[b].score })
	cands = cands[:min(n, len(cands))]
	sort.Slice(cands, func(a, b int) bool { return cands[a].i < cands[b].i })
	parts := make([]string, len(cands))
	for k, c := range cands {
		parts[k] = sents[c.i]
	}
	return text.Clip(strings.Join(parts, " "), maxChars)
}

// Keyphrases lists up to n words and names that say what text is about:
// names it repeats first, then its most frequent content words (in the form
// the text uses most).
func Keyphrases(title, body string, n int) []string {
	return KeyphrasesFound(title, body, n, nil)
}

// KeyphrasesFound is Keyphrases given found, entity.Find(title, nil, body)
// when the caller has it already (nil: found here): ingestion finds a
// chunk's entities, and a document of one chunk is that chunk.
func KeyphrasesFound(title, body string, n int, found []entity.Ref) []string {
	if len(body) > maxGistText {
		body = body[:maxGistText]
		found = nil // found in the whole text
	}
	if found == nil {
		found = entity.Find(title, nil, body)
	}
	type count struct {
		form  string
		n     int
		forms map[string]int
	}
	byStem := map[string]*count{}
	stem := stemmer()
	var order []string
	for _, w := range text.AppendWords(nil, title+"\n"+body) {
		if text.IsStopWord(w) || len(w) < 4 || text.IsNumber(w) {
			continue
		}
		st := stem(w)
		c := byStem[st]
		if c == nil {
			c = &count{forms: map[string]int{}}
			byStem[st] = c
			order = append(order, st)
		}
		c.n++
		c.forms[w]++
		if c.forms[w] > c.forms[c.form] {
			c.form = w
		}
	}
	var out []string
	have := map[string]bool{}
	lower := "" // lowered once, when a name needs counting
	for _, r := range found {
		if r.Kind != entity.Mentions || !strings.Contains(r.Name, " ") || len(out) >= n/2 {
			continue
		}
		if lower == "" {
			lower = strings.ToLower(body)
		}
		if strings.Count(lower, r.Name) >= 2 {
			out = append(out, r.Name)
			for _, w := range strings.Fields(r.Name) {
				have[stem(w)] = true
			}
		}
	}
	// Only stems seen twice can be chosen: most are seen once, so they are
	// left out before sorting.
	var cands []*count
	for _, st := range order {
		if c := byStem[st]; c.n >= 2 && !have[st] {
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].n > cands[b].n })
	for _, c := range cands {
		if len(out) >= n {
			break
		}
		out = append(out, c.form)
	}
	return out
}

// stemmer folds plurals only: a full stemmer costs more than the rest of
// the gist together, and the gist needs no more.
func stemmer() func(string) string {
	return func(w string) string {
		if len(w) > 4 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			return w[:len(w)-1]
		}
		return w
	}
}
