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
	"github.com/hoardvault/hoard/backend/search"
)

// Sentences splits text into sentences: after . ! ? and a space when the
// next word starts with a capital or digit ("e.g. the" stays together), and
// at line breaks that end a unit (headings, list items, table rows). A line
// break inside a sentence, as wrapped text has ("He went up to Anna
// Pavlovna,\nand said"), joins the lines; a word hyphenated across one is
// mended.
func Sentences(text string) []string {
	var out []string
	for _, line := range unwrap(text) {
		start := 0
		for i := 0; i < len(line); i++ {
			if c := line[i]; c != '.' && c != '!' && c != '?' {
				continue
			}
			j := i + 1
			for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
			if j == i+1 || j == len(line) {
				continue
			}
			if r := line[j]; !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= 0x80) {
				continue
			}
			if s := strings.TrimSpace(line[start : i+1]); s != "" {
				out = append(out, s)
			}
			start, i = j, j-1
		}
		if rest := strings.TrimSpace(line[start:]); rest != "" {
			out = append(out, rest)
		}
	}
	return out
}

// unwrap joins the lines of wrapped text: a line continues on the next when
// it ends inside a sentence (no closing punctuation, or a comma) and the
// next starts in lower case, or when it ends in a hyphen before a lower-case
// letter (the hyphen goes). Blank lines, list items and table rows stay
// their own lines.
func unwrap(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if n := len(out); n > 0 && continues(out[n-1], line) {
			prev := out[n-1]
			if strings.HasSuffix(prev, "-") && !strings.HasSuffix(prev, "--") {
				out[n-1] = prev[:len(prev)-1] + strings.TrimSpace(line)
			} else {
				out[n-1] = prev + " " + strings.TrimSpace(line)
			}
			continue
		}
		out = append(out, line)
	}
	return out
}

func continues(prev, next string) bool {
	next = strings.TrimLeft(next, " \t")
	if prev == "" || next == "" {
		return false
	}
	switch prev[len(prev)-1] {
	case '.', '!', '?', ':', ';', '|':
		return false
	}
	c := next[0]
	if c >= 'a' && c <= 'z' {
		return true
	}
	if prev[len(prev)-1] == ',' && c >= '0' && c <= '9' {
		return true // "delivered on January 23,\n2023."
	}
	// A capital after a long line is wrapped prose ("perpetrated by that\n
	// Antichrist"); a short line before it is a heading or a label.
	return c >= 'A' && c <= 'Z' && len(prev) >= 50 && !strings.HasPrefix(strings.TrimSpace(prev), "#")
}

// maxGistText bounds the text read: a gist is about what a document opens with
// and dwells on, and long documents must not cost more.
const maxGistText = 40000

// Gist picks up to n sentences that best represent text: those whose content
// words the document repeats most, with a nudge to its opening, in document
// order, cut to maxChars.
func Gist(title, text string, n, maxChars int) string {
	if len(text) > maxGistText {
		text = text[:maxGistText]
	}
	sents := Sentences(text)
	tf := map[string]float64{}
	stem := stemmer()
	stems := make([][]string, len(sents))
	for i, s := range sents {
		for _, w := range entity.Words(s) {
			if search.IsStopWord(w) || len(w) < 3 {
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
		return Clip(strings.Join(strings.Fields(text), " "), maxChars)
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].score > cands[b].score })
	cands = cands[:min(n, len(cands))]
	sort.Slice(cands, func(a, b int) bool { return cands[a].i < cands[b].i })
	parts := make([]string, len(cands))
	for k, c := range cands {
		parts[k] = sents[c.i]
	}
	return Clip(strings.Join(parts, " "), maxChars)
}

// Keyphrases lists up to n words and names that say what text is about:
// names it repeats first, then its most frequent content words (in the form
// the text uses most).
func Keyphrases(title, text string, n int) []string {
	if len(text) > maxGistText {
		text = text[:maxGistText]
	}
	type count struct {
		form  string
		n     int
		forms map[string]int
	}
	byStem := map[string]*count{}
	stem := stemmer()
	var order []string
	for _, w := range entity.Words(title + "\n" + text) {
		if search.IsStopWord(w) || len(w) < 4 || search.IsNumber(w) {
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
	for _, r := range entity.Find(title, nil, text) {
		if r.Kind != entity.Mentions || !strings.Contains(r.Name, " ") || len(out) >= n/2 {
			continue
		}
		if lower == "" {
			lower = strings.ToLower(text)
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

// Clip cuts s to about n bytes at a word boundary, marking the cut.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}
