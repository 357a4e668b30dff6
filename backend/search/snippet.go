package search

import (
	"html"
	"math/bits"
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

// wordBit is 1 for the ASCII bytes that are part of a word, indexed by
// any byte so that the lookups need no bounds check.
var wordBit = func() (t [256]uint64) {
	for c := range utf8.RuneSelf {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			t[c] = 1
		}
	}
	return t
}()

// wordSpans finds the words of text (byte offsets): runs of letters,
// digits and marks.
func wordSpans(text string) []wordSpan {
	return appendWordSpans(make([]wordSpan, 0, len(text)/6), text)
}

// appendWordSpans appends s's words to spans. ASCII is read 64 bytes at a
// time into a bit mask of word bytes, and the words are its runs of ones:
// a branch per byte mispredicts at every word's edges, and that was most
// of a snippet's time. Other text goes rune by rune.
func appendWordSpans(spans []wordSpan, s string) []wordSpan {
	in, start := false, 0 // inside a word, and where it began
	i := 0
	for i < len(s) {
		if len(s)-i >= 64 && ascii64(s[i:i+64]) {
			b := s[i : i+64]
			// Four masks of 16 bytes each, so the lookups do not wait on
			// one another.
			var m0, m1, m2, m3 uint64
			for k := range 16 {
				m0 |= wordBit[b[k]] << k
				m1 |= wordBit[b[k+16]] << k
				m2 |= wordBit[b[k+32]] << k
				m3 |= wordBit[b[k+48]] << k
			}
			m := m0 | m1<<16 | m2<<32 | m3<<48
			// Bits where the class changes from the byte before.
			var before uint64
			if in {
				before = 1
			}
			for edges := m ^ (m<<1 | before); edges != 0; edges &= edges - 1 {
				at := i + bits.TrailingZeros64(edges)
				if in {
					spans = append(spans, wordSpan{start: int32(start), end: int32(at), term: -1})
				} else {
					start = at
				}
				in = !in
			}
			i += 64
			continue
		}
		// Up to the next ASCII block (or the end), a rune at a time.
		stop := min(len(s), i+64)
		for i < stop {
			c, size := s[i], 1
			w := wordBit[c] == 1
			if c >= utf8.RuneSelf {
				var r rune
				r, size = utf8.DecodeRuneInString(s[i:])
				w = text.IsWordRune(r)
			}
			if w != in {
				if in {
					spans = append(spans, wordSpan{start: int32(start), end: int32(i), term: -1})
				} else {
					start = i
				}
				in = w
			}
			i += size
		}
	}
	if in {
		spans = append(spans, wordSpan{start: int32(start), end: int32(len(s)), term: -1})
	}
	return spans
}

// ascii64 reports whether the 64 bytes of b are all ASCII.
func ascii64(b string) bool {
	var or uint64
	for k := 0; k < 64; k += 8 {
		or |= uint64(b[k]) | uint64(b[k+1])<<8 | uint64(b[k+2])<<16 | uint64(b[k+3])<<24 |
			uint64(b[k+4])<<32 | uint64(b[k+5])<<40 | uint64(b[k+6])<<48 | uint64(b[k+7])<<56
	}
	return or&0x8080808080808080 == 0
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
