// Package chunk cuts extracted text into retrieval units of about a target
// number of tokens. A chunk never spans two heading paths, and it records the
// pages it covers and its offsets, so a hit can always be cited as file, page
// and heading.
package chunk

import (
	"sort"
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
	// Speaker is who speaks the section, when the engine tells speakers
	// apart: a chunk prefers to end where the speaker changes.
	Speaker string
	// Marks are when the section's words are spoken, in text order.
	Marks []Mark
}

// Mark is where a transcript's word starts in the text (a byte offset) and
// when it is spoken.
type Mark struct {
	Offset     int
	Start, End time.Duration
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
	// Marks are the times of the chunk's words; the first one covers its
	// start (Offset is Start) when a word's time is known before it.
	Marks []Mark
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
		var spans []span
		var marks []Mark
		timed := timedGroup(group)
		if timed {
			for _, s := range group {
				marks = append(marks, s.Marks...)
			}
			spans = packTimed(units, unitTimes(units, group, marks), gopt)
		} else {
			spans = pack(units, gopt)
		}
		for _, sp := range spans {
			c := Chunk{Text: text[sp.start:sp.end], Start: sp.start, End: sp.end, Heading: group[0].Heading}
			c.PageStart, c.PageEnd = pages(group, sp.start, sp.end)
			c.From, c.To = times(group, sp.start, sp.end)
			if timed {
				c.Marks = marksIn(marks, sp.start, sp.end)
				if len(c.Marks) > 0 {
					// Word times are finer than the sections': the passage runs
					// from its first word to its last.
					c.From, c.To = c.Marks[0].Start, 0
					for _, m := range c.Marks {
						c.To = max(c.To, m.End)
					}
					c.To = max(c.To, c.From+1)
				}
			}
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

func timedGroup(group []Section) bool {
	for _, s := range group {
		if s.To > 0 {
			return true
		}
	}
	return false
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

// unitTime is when a unit of a transcript is spoken and by whom.
type unitTime struct {
	from, to time.Duration
	speaker  string
}

// unitTimes times each unit by its words, or by its section when none of
// its words has a time.
func unitTimes(units []span, group []Section, marks []Mark) []unitTime {
	out := make([]unitTime, len(units))
	for i, u := range units {
		var t unitTime
		// The section the unit starts in: the last one starting at or before it.
		if k := sort.Search(len(group), func(k int) bool { return group[k].Start > u.start }) - 1; k >= 0 {
			s := group[k]
			t = unitTime{from: s.From, to: s.To, speaker: s.Speaker}
		}
		if in := marksFrom(marks, u.start, u.end); len(in) > 0 {
			t.from, t.to = in[0].Start, in[0].End
			for _, m := range in {
				t.to = max(t.to, m.End)
			}
		}
		out[i] = t
	}
	return out
}

// marksFrom is the marks whose offsets fall in [start, end).
func marksFrom(marks []Mark, start, end int) []Mark {
	lo := sort.Search(len(marks), func(i int) bool { return marks[i].Offset >= start })
	hi := sort.Search(len(marks), func(i int) bool { return marks[i].Offset >= end })
	return marks[lo:max(lo, hi)]
}

// marksIn is a chunk's marks; when its first word has none (a segment
// timed as a whole, cut mid-way), the last mark before it covers its start.
func marksIn(marks []Mark, start, end int) []Mark {
	in := marksFrom(marks, start, end)
	lo := sort.Search(len(marks), func(i int) bool { return marks[i].Offset >= start })
	out := make([]Mark, 0, len(in)+1)
	if (len(in) == 0 || in[0].Offset > start) && lo > 0 {
		cover := marks[lo-1]
		cover.Offset = start
		out = append(out, cover)
	}
	return append(out, in...)
}

// A cut at a pause this long starts a new thought: the next passage gets
// no overlap. A shorter pause cuts mid-thought and keeps the overlap.
const (
	thoughtPause = time.Second
	// pauseGain is how much longer an earlier pause must be to win over a
	// later one: fuller passages are preferred when the pauses are alike.
	pauseGain = 100 * time.Millisecond
)

// packTimed packs a transcript's units like pack, but a chunk ends at the
// longest pause (or change of speaker) among the units that fill it
// between half and all of the target, not at the unit that overflows: a
// passage holds what was said between two breaths.
func packTimed(units []span, times []unitTime, opt Options) []span {
	gap := func(k int) time.Duration { // the pause after units[k]
		g := max(0, times[k+1].from-times[k].to)
		if a, b := times[k].speaker, times[k+1].speaker; a != "" && b != "" && a != b {
			g += time.Hour // a turn always wins
		}
		return g
	}
	var out []span
	for start := 0; start < len(units); {
		tokens, e := 0, start
		for e < len(units) && (e == start || tokens+units[e].tokens <= opt.TargetTokens) {
			tokens += units[e].tokens
			e++
		}
		if e == len(units) {
			out = append(out, span{units[start].start, units[e-1].end, tokens})
			break
		}
		// Cut after units[best]: the fullest by default, an earlier clearly
		// longer pause if the chunk is at least half full there.
		best, bestGap := e-1, gap(e-1)
		fill := tokens - units[e-1].tokens
		for k := e - 2; k >= start; k-- {
			if fill < opt.TargetTokens/2 {
				break
			}
			if g := gap(k); g > bestGap+pauseGain {
				best, bestGap = k, g
			}
			fill -= units[k].tokens
		}
		n := 0
		for k := start; k <= best; k++ {
			n += units[k].tokens
		}
		out = append(out, span{units[start].start, units[best].end, n})
		next := best + 1
		if bestGap < thoughtPause {
			// Overlap, as pack keeps it, unless it would fill the next chunk
			// with repetition.
			kt := 0
			for k := best; k > start && kt+units[k].tokens <= opt.OverlapTokens; k-- {
				kt += units[k].tokens
				next = k
			}
			if kt+units[best+1].tokens > opt.TargetTokens {
				next = best + 1
			}
		}
		start = next
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
	if r < utf8.RuneSelf {
		// ASCII, most of most text, without the Unicode tables: the same
		// classes as below.
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			first := c.run == 0 || c.run%6 == 0
			c.run++
			return first
		case r == ' ' || r >= '\t' && r <= '\r':
			c.run = 0
			return false
		default:
			c.run = 0
			return true
		}
	}
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
