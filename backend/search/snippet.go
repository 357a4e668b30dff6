package search

import (
	"html"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/internal/script"
	"github.com/hoardvault/hoard/backend/text"
)

// Snippets are cut in Go rather than by FTS5's snippet(): snippet() runs for
// every matching row before the top-k sort, which doubles a query's cost.

// snippetWords is how many words a snippet shows.
const snippetWords = 28

// matcher tells whether a word of the text matches the query, comparing
// Porter2 stems as rescoring does (to highlight "properties" for
// "property"), by their ids in the searcher's vocabulary: after the first
// queries no word of a hit is stemmed again.
type matcher struct {
	voc      *vocab
	set      termSet // the query words' stems
	prefixes []string
}

// newMatcher matches q's words.
func newMatcher(q Query, voc *vocab) matcher {
	m := matcher{voc: voc}
	var ids []uint32
	for _, w := range append(append([]string{}, q.Terms...), q.Phrases...) {
		for _, t := range text.Words(w) {
			if !text.IsStopWord(t) {
				if id := voc.stemID(strings.ToLower(t)); !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	m.set = newTermSet(ids)
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

// terms sets each span's term: the query term its word matches, its
// stem's place among the query's, len(the query's stems)+k for prefix
// k, or -1. kept are the text's stem ids as its kept split has them
// (Forward), used when they are as many as the spans (they are split
// alike).
func (m matcher) terms(text string, spans []wordSpan, kept []uint32) {
	sids := kept
	if len(kept) != len(spans) {
		words := make([]string, len(spans))
		for i, sp := range spans {
			words[i] = strings.ToLower(text[sp.start:sp.end])
		}
		_, sids = m.voc.add(words, false, true)
	}
	for i, sid := range sids {
		k := m.set.index(sid)
		if k < 0 {
			for j, p := range m.prefixes {
				if strings.HasPrefix(strings.ToLower(text[spans[i].start:spans[i].end]), p) {
					k = len(m.set.ids) + j
					break
				}
			}
		}
		spans[i].term = int32(k)
	}
}

type wordSpan struct {
	start, end int32
	term       int32 // the query term the word matches (matcher.terms), or -1
}

// spanBufs are wordSpans' slices, reused: a query cuts a snippet for
// each of its hits, and their spans were most of what it allocated.
var spanBufs = sync.Pool{New: func() any { return new([]wordSpan) }}

// spansOf are text's words in a reused slice; putSpans gives it back.
func spansOf(text string) *[]wordSpan {
	buf := spanBufs.Get().(*[]wordSpan)
	*buf = appendWordSpans((*buf)[:0], text)
	return buf
}

func putSpans(buf *[]wordSpan) {
	if cap(*buf) <= 1<<16 {
		spanBufs.Put(buf)
	}
}

// wordByte marks the ASCII bytes that are part of a word.
var wordByte = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return t
}()

// wordSpans finds the words of text (byte offsets): runs of letters,
// digits and marks.
func wordSpans(text string) []wordSpan {
	return appendWordSpans(make([]wordSpan, 0, len(text)/6), text)
}

func appendWordSpans(spans []wordSpan, s string) []wordSpan {
	i := 0
	for i < len(s) {
		// Up to the next word, then to its end; ASCII by the table, in line.
		for i < len(s) {
			if c := s[i]; c < utf8.RuneSelf {
				if wordByte[c] {
					break
				}
				i++
			} else if r, size := utf8.DecodeRuneInString(s[i:]); text.IsWordRune(r) {
				break
			} else {
				i += size
			}
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) {
			if c := s[i]; c < utf8.RuneSelf {
				if !wordByte[c] {
					break
				}
				i++
			} else if r, size := utf8.DecodeRuneInString(s[i:]); !text.IsWordRune(r) {
				break
			} else {
				i += size
			}
		}
		spans = append(spans, wordSpan{start: int32(start), end: int32(i), term: -1})
	}
	return spans
}

// snippet returns an HTML-escaped excerpt of text around the densest cluster
// of matching words, with matches wrapped in <mark>; kept are its words'
// stem ids, if known (see terms).
func (m matcher) snippet(text string, kept []uint32) string {
	buf := spansOf(text)
	defer putSpans(buf)
	spans := *buf
	if len(spans) == 0 {
		return ""
	}
	m.terms(text, spans, kept)
	// The window with the most matching words wins; the earliest on ties.
	n := min(snippetWords, len(spans))
	count := 0
	for _, sp := range spans[:n] {
		if sp.term >= 0 {
			count++
		}
	}
	best, bestCount := 0, count
	for s := 1; s+n <= len(spans); s++ {
		if spans[s-1].term >= 0 {
			count--
		}
		if spans[s+n-1].term >= 0 {
			count++
		}
		if count > bestCount {
			best, bestCount = s, count
		}
	}
	// Start a couple of words before the first match of the window.
	for k := best; k < best+n; k++ {
		if spans[k].term >= 0 {
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
		if sp.term < 0 {
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
