// Package memory writes the global memory's entries without a language
// model: a document's gist (its most central sentences) and keyphrases
// (its most frequent content words and repeated names). A model, when the
// user has one, writes better gists; these keep the memory whole without.
package memory

import (
	"math"
	"sort"
	"strings"
	"unicode"

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
	// A term is a stem's count in the document and the last sentence that
	// counted it for its score: one map lookup a word, none a score.
	type term struct {
		tf   float64
		last int
	}
	terms := make(map[string]*term, len(body)/16) // about a stem per 16 bytes of prose
	var slab []term                               // terms are cut from it: not an allocation each
	var refs []*term
	ends := make([]int, len(sents)) // sentence i's terms are refs[ends[i-1]:ends[i]]
	stem := stemmer()
	var words []string
	for i, s := range sents {
		words = text.AppendWords(words[:0], s)
		for _, w := range words {
			if len(w) < 3 || text.IsStopWord(w) {
				continue
			}
			st := stem(w)
			tm := terms[st]
			if tm == nil {
				if len(slab) == cap(slab) {
					slab = make([]term, 0, max(64, 2*cap(slab)))
				}
				slab = append(slab, term{last: -1})
				tm = &slab[len(slab)-1]
				terms[st] = tm
			}
			tm.tf++
			refs = append(refs, tm)
		}
		ends[i] = len(refs)
	}
	type scored struct {
		i     int
		score float64
	}
	var cands []scored
	for i, s := range sents {
		words := fieldCount(s)
		if words < 5 || s == title || len(s) > 600 {
			continue // headings, captions and walls of text read badly as gists
		}
		var sc float64
		from := 0
		if i > 0 {
			from = ends[i-1]
		}
		for _, tm := range refs[from:ends[i]] {
			if tm.last != i {
				tm.last = i
				sc += math.Log(1 + tm.tf)
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

// fieldCount is len(strings.Fields(s)) without making the fields.
func fieldCount(s string) int {
	n, in := 0, false
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if !sp && !in {
			n++
		}
		in = !sp
	}
	return n
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
	// A stem's count, and how often each form of it occurs: most stems
	// have one form, kept inline; a map of forms per stem was a third of
	// the time.
	type count struct {
		stem   string
		form   string
		n      int
		formN  int // the count of form
		others []formCount
	}
	words := text.AppendWords(nil, title+"\n"+body)
	// Sized for about as many stems as half the words: growing the map
	// rehashed it several times a document.
	counts := make([]count, 0, len(words)/2) // in the order the stems first occur
	byStem := make(map[string]int, len(words)/2)
	stem := stemmer()
	for _, w := range words {
		if len(w) < 4 || text.IsStopWord(w) || text.IsNumber(w) {
			continue
		}
		st := stem(w)
		i, ok := byStem[st]
		if !ok {
			i = len(counts)
			byStem[st] = i
			counts = append(counts, count{stem: st, form: w})
		}
		c := &counts[i]
		c.n++
		if w == c.form {
			c.formN++
			continue
		}
		// Another form: counted apart; it becomes the form once it occurs
		// more often (of two as frequent, the one that got there first).
		k := 0
		for k < len(c.others) && c.others[k].form != w {
			k++
		}
		if k == len(c.others) {
			c.others = append(c.others, formCount{form: w})
		}
		c.others[k].n++
		if c.others[k].n > c.formN {
			c.others[k].form, c.form = c.form, w
			c.others[k].n, c.formN = c.formN, c.others[k].n
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
	for i := range counts {
		if c := &counts[i]; c.n >= 2 && !have[c.stem] {
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

// formCount is how often a word form occurs.
type formCount struct {
	form string
	n    int
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
