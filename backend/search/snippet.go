package search

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/internal/script"
	"github.com/hoardvault/hoard/backend/text"
)

// Snippets are cut in Go rather than by FTS5's snippet(): snippet() runs for
// every matching row before the top-k sort, which doubles a query's cost.

// snippetWords is how many words a snippet shows.
const snippetWords = 28

// matcher tells whether a word of the text matches the query, comparing
// stems the way the index's Porter tokenizer does (closely enough to
// highlight "properties" for "property").
type matcher struct {
	stems    map[string]bool
	heads    map[string]bool // first letters of the stems: most words need no stemming
	prefixes []string
	stemmer  stemMemo // the text's words: one matcher is used by one goroutine
}

// newMatcher matches q's words; stem is text.Stem, or a cache of it.
func newMatcher(q Query, stem func(string) string) matcher {
	m := matcher{stems: map[string]bool{}, heads: map[string]bool{}, stemmer: newStemMemo(stem)}
	for _, w := range append(append([]string{}, q.Terms...), q.Phrases...) {
		for _, t := range text.Words(w) {
			if !text.IsStopWord(t) {
				st := text.Stem(t)
				m.stems[st] = true
				m.heads[head(st)] = true
			}
		}
	}
	for _, p := range q.Prefixes {
		m.prefixes = append(m.prefixes, strings.ToLower(p))
	}
	for _, t := range q.Terms {
		if strings.IndexFunc(t, script.IsCJK) >= 0 {
			m.prefixes = append(m.prefixes, strings.ToLower(t))
		}
	}
	return m
}

// head is the first three characters of a word; a stem keeps them.
func head(w string) string {
	n := 0
	for i := range w {
		if n == 3 {
			return w[:i]
		}
		n++
	}
	return w
}

func (m matcher) match(word string) bool {
	_, ok := m.term(word)
	return ok
}

// term is the query term a word of the text matches (its stem, or the
// prefix it starts with).
func (m matcher) term(word string) (string, bool) {
	lw := strings.ToLower(word)
	if m.heads[head(lw)] {
		if st := m.stemmer.of(lw); m.stems[st] {
			return st, true
		}
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(lw, p) {
			return p, true
		}
	}
	return "", false
}

type wordSpan struct {
	start, end int
	hit        bool
}

// wordSpans finds the words of text (byte offsets).
func wordSpans(text string) []wordSpan {
	var spans []wordSpan
	inWord, start := false, 0
	for i, r := range text {
		isW := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
		switch {
		case isW && !inWord:
			inWord, start = true, i
		case !isW && inWord:
			inWord = false
			spans = append(spans, wordSpan{start: start, end: i})
		}
	}
	if inWord {
		spans = append(spans, wordSpan{start: start, end: len(text)})
	}
	return spans
}

// snippet returns an HTML-escaped excerpt of text around the densest cluster
// of matching words, with matches wrapped in <mark>.
func (m matcher) snippet(text string) string {
	spans := wordSpans(text)
	if len(spans) == 0 {
		return ""
	}
	for i := range spans {
		spans[i].hit = m.match(text[spans[i].start:spans[i].end])
	}
	// The window with the most matching words wins; the earliest on ties.
	n := min(snippetWords, len(spans))
	count := 0
	for _, sp := range spans[:n] {
		if sp.hit {
			count++
		}
	}
	best, bestCount := 0, count
	for s := 1; s+n <= len(spans); s++ {
		if spans[s-1].hit {
			count--
		}
		if spans[s+n-1].hit {
			count++
		}
		if count > bestCount {
			best, bestCount = s, count
		}
	}
	// Start a couple of words before the first match of the window.
	for k := best; k < best+n; k++ {
		if spans[k].hit {
			best = max(0, min(k-3, len(spans)-n))
			break
		}
	}
	from := spans[best].start
	to := spans[best+n-1].end
	var sb strings.Builder
	if best > 0 {
		sb.WriteString("…")
	}
	pos := from
	for _, sp := range spans[best : best+n] {
		if !sp.hit {
			continue
		}
		sb.WriteString(html.EscapeString(text[pos:sp.start]))
		sb.WriteString("<mark>")
		sb.WriteString(html.EscapeString(text[sp.start:sp.end]))
		sb.WriteString("</mark>")
		pos = sp.end
	}
	sb.WriteString(html.EscapeString(text[pos:to]))
	if best+n < len(spans) {
		// Keep closing punctuation of the last word.
		if r, _ := utf8.DecodeRuneInString(text[to:]); r == '.' || r == '?' || r == '!' {
			sb.WriteRune(r)
		} else {
			sb.WriteString("…")
		}
	}
	return sb.String()
}
