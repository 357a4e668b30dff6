// Package chunk cuts extracted text into retrieval units of about a target
// number of tokens. A chunk never spans two heading paths, and it records the
// pages it covers and its offsets, so a hit can always be cited as file, page
// and heading.
package chunk

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/internal/script"
)

// Options set the chunk size.
type Options struct {
	TargetTokens  int // aim for chunks of about this many tokens
	OverlapTokens int // repeat about this many tokens from the previous chunk
	// WholeTokens keeps a heading's text on one page whole when it is at
	// most this many tokens: cutting a note or an abstract in two splits
	// the evidence that a search needs (docs/retrieval.md). Zero means
	// TargetTokens.
	WholeTokens int
}

// DefaultOptions: 256 tokens with 32 of overlap; a heading's text of up to
// 512 tokens (an embedder's usual limit) is one chunk.
func DefaultOptions() Options { return Options{TargetTokens: 256, OverlapTokens: 32, WholeTokens: 512} }

// Section is a span [Start, End) of the text (byte offsets) on one page under
// one heading path.
type Section struct {
	Page    int
	Heading []string
	Start   int
	End     int
	// From and To are where a transcript's section was spoken (To is zero
	// for text).
	From, To time.Duration
}

// Chunk is a contiguous span of the text.
type Chunk struct {
	Text      string
	Start     int // byte offsets into the text
	End       int
	PageStart int
	PageEnd   int
	Heading   []string
	// From and To span the times of the transcript sections the chunk
	// covers; To is zero for text.
	From, To time.Duration
}

type span struct{ start, end, tokens int }

// Split cuts text into chunks following its sections.
func Split(text string, sections []Section, opt Options) []Chunk {
	if opt.TargetTokens <= 0 {
		opt = DefaultOptions()
	}
	if opt.OverlapTokens >= opt.TargetTokens {
		opt.OverlapTokens = opt.TargetTokens / 4
	}
	if len(sections) == 0 && strings.TrimSpace(text) != "" {
		sections = []Section{{Start: 0, End: len(text)}}
	}
	var out []Chunk
	for i := 0; i < len(sections); {
		// Consecutive sections under the same heading (a section running over
		// pages) are packed together; the chunk records the page range.
		j := i + 1
		for j < len(sections) && sameHeading(sections[j].Heading, sections[i].Heading) {
			j++
		}
		group := sections[i:j]
		var units []span
		total := 0
		for _, s := range group {
			units = append(units, sentences(text, s.Start, s.End, opt.TargetTokens)...)
		}
		for _, u := range units {
			total += u.tokens
		}
		gopt := opt
		if total <= opt.WholeTokens && citedAlike(group) {
			gopt.TargetTokens = max(total, opt.TargetTokens)
		}
		for _, sp := range pack(units, gopt) {
			c := Chunk{Text: text[sp.start:sp.end], Start: sp.start, End: sp.end, Heading: group[0].Heading}
			c.PageStart, c.PageEnd = pages(group, sp.start, sp.end)
			c.From, c.To = times(group, sp.start, sp.end)
			out = append(out, c)
		}
		i = j
	}
	return out
}

// citedAlike reports whether keeping the sections in one chunk loses no
// precision in citations: they sit on one page and carry no timestamps
// (a transcript keeps its shorter chunks, so a hit points at the moment).
func citedAlike(group []Section) bool {
	for _, s := range group {
		if s.Page != group[0].Page || s.To > 0 {
			return false
		}
	}
	return true
}

func sameHeading(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func pages(group []Section, start, end int) (first, last int) {
	for _, s := range group {
		if s.End <= start || s.Start >= end {
			continue
		}
		if first == 0 || s.Page < first {
			first = s.Page
		}
		if s.Page > last {
			last = s.Page
		}
	}
	return first, last
}

func times(group []Section, start, end int) (from, to time.Duration) {
	first := true
	for _, s := range group {
		if s.To == 0 || s.End <= start || s.Start >= end {
			continue
		}
		if first || s.From < from {
			from = s.From
		}
		first = false
		to = max(to, s.To)
	}
	return from, to
}

// pack groups consecutive units into chunks of about the target size, each
// starting with the last units of the one before as overlap.
func pack(units []span, opt Options) []span {
	var out []span
	cur := []span{}
	tokens := 0
	emit := func() {
		if len(cur) == 0 {
			return
		}
		out = append(out, span{start: cur[0].start, end: cur[len(cur)-1].end, tokens: tokens})
		// Keep trailing units up to the overlap budget for the next chunk.
		keep, kt := 0, 0
		for k := len(cur) - 1; k > 0; k-- {
			if kt+cur[k].tokens > opt.OverlapTokens {
				break
			}
			kt += cur[k].tokens
			keep++
		}
		cur = append([]span{}, cur[len(cur)-keep:]...)
		tokens = kt
	}
	for _, u := range units {
		if tokens+u.tokens > opt.TargetTokens && tokens > 0 {
			overlapOnly := tokens
			emit()
			// When only overlap is left and the new unit alone fills a chunk,
			// the overlap would just repeat: drop it.
			if overlapOnly > 0 && tokens+u.tokens > opt.TargetTokens {
				cur, tokens = cur[:0], 0
			}
		}
		cur = append(cur, u)
		tokens += u.tokens
	}
	if len(cur) > 0 {
		// The tail may be only overlap already emitted.
		if len(out) == 0 || cur[len(cur)-1].end > out[len(out)-1].end {
			emit()
		}
	}
	return out
}

// sentences splits [start, end) into sentence spans; a sentence longer than
// max tokens is cut at word boundaries.
func sentences(text string, start, end, max int) []span {
	var out []span
	s := start
	for s < end {
		for s < end && isSpace(text[s]) {
			s++
		}
		if s >= end {
			break
		}
		e := sentenceEnd(text, s, end)
		out = append(out, cutLong(text, s, e, max)...)
		s = e
	}
	return out
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\f' }

// sentenceEnd finds the end of the sentence starting at s: after . ! ? or a
// CJK full stop followed by space, or at a paragraph break.
func sentenceEnd(text string, s, end int) int {
	for i := s; i < end; {
		r, w := utf8.DecodeRuneInString(text[i:end])
		next := i + w
		switch r {
		case '.', '!', '?':
			if next >= end || isSpace(text[next]) {
				return trimEnd(text, s, next)
			}
		case '。', '！', '？':
			return next
		case '\n':
			if next < end && text[next] == '\n' {
				return trimEnd(text, s, i)
			}
		}
		i = next
	}
	return trimEnd(text, s, end)
}

func trimEnd(text string, s, e int) int {
	for e > s && isSpace(text[e-1]) {
		e--
	}
	return e
}

func cutLong(text string, s, e, max int) []span {
	n := Tokens(text[s:e])
	if n <= max {
		return []span{{s, e, n}}
	}
	var out []span
	var c counter
	pieceStart, t := s, 0
	for i := s; i < e; {
		r, w := utf8.DecodeRuneInString(text[i:e])
		if c.add(r) {
			t++
			if t > max {
				// Cut before this token; prefer the last space so words stay whole.
				cut := i
				if sp := strings.LastIndexAny(text[pieceStart:i], " \n\t"); sp > 0 {
					cut = pieceStart + sp
				}
				out = append(out, span{pieceStart, trimEnd(text, pieceStart, cut), Tokens(text[pieceStart:cut])})
				pieceStart = cut
				for pieceStart < e && isSpace(text[pieceStart]) {
					pieceStart++
				}
				t = Tokens(text[pieceStart : i+w])
			}
		}
		i += w
	}
	if pieceStart < e {
		out = append(out, span{pieceStart, e, Tokens(text[pieceStart:e])})
	}
	return out
}

// counter counts tokens rune by rune, as Tokens does.
type counter struct{ run int }

// add reports whether r starts a new token.
func (c *counter) add(r rune) bool {
	switch {
	case script.IsCJK(r):
		c.run = 0
		return true
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		first := c.run == 0 || c.run%6 == 0
		c.run++
		return first
	case unicode.IsSpace(r):
		c.run = 0
		return false
	default:
		c.run = 0
		return true
	}
}

// Tokens estimates the number of model tokens in s: one per word plus one per
// six further letters of a long word, one per punctuation mark, and one per
// CJK character, which is close to WordPiece on English prose.
func Tokens(s string) int {
	var c counter
	n := 0
	for _, r := range s {
		if c.add(r) {
			n++
		}
	}
	return n
}
