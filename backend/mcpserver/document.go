package mcpserver

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/vault"
)

// A get_document part is this many characters unless asked otherwise, and
// at most maxPart: a whole long document (a manual is a million characters)
// in one result is more than an agent's context holds.
const (
	defaultPart = 20_000
	maxPart     = 100_000
)

// part cuts one part of a document's text, from a character offset or one
// page, into its sections, and says where the next part starts.
func part(d vault.DocumentInfo, text string, secs []vault.Section, in GetIn) (GetOut, error) {
	size := in.MaxChars
	if size <= 0 {
		size = defaultPart
	}
	size = min(size, maxPart)
	total := utf8.RuneCountInString(text)
	pieces := split(text, secs)
	var from, to int // bytes of text
	switch {
	case in.Page != 0:
		from, to = -1, len(text)
		for i, p := range pieces {
			if p.page == in.Page && from < 0 {
				from = p.start
			}
			if p.page > in.Page && from >= 0 {
				to = pieces[i].start
				break
			}
		}
		if from < 0 {
			if d.Pages == 0 {
				return GetOut{}, fmt.Errorf("document %d has no pages: read it by offset", d.ID)
			}
			return GetOut{}, fmt.Errorf("document %d has no page %d (it has %d pages)", d.ID, in.Page, d.Pages)
		}
	case in.Offset < 0 || (in.Offset >= total && total > 0):
		return GetOut{}, fmt.Errorf("offset %d is outside document %d (%d characters)", in.Offset, d.ID, total)
	default:
		from, to = byteAt(text, 0, in.Offset), len(text)
	}
	end := cut(text, from, min(to, byteAt(text, from, size)), to)
	out := GetOut{Source: source(d), TotalChars: total, Sections: []Section{}}
	out.Offset = utf8.RuneCountInString(text[:from])
	out.End = out.Offset + utf8.RuneCountInString(text[from:end])
	for i, p := range pieces {
		pend := len(text)
		if i+1 < len(pieces) {
			pend = pieces[i+1].start
		}
		if s, e := max(p.start, from), min(pend, end); s < e {
			out.Sections = append(out.Sections, Section{Page: p.page, Heading: p.heading, Text: text[s:e]})
		}
	}
	if end < len(text) {
		out.NextOffset = out.End
		out.Next = fmt.Sprintf(`characters %d to %d of %d: for the next part call get_document with {"doc_id": %d, "offset": %d}`,
			out.Offset, out.End, total, d.ID, out.End)
	}
	return out, nil
}

// piece is where a section starts in the text (bytes); it runs to the next
// one's start, so the pieces cover the whole text once.
type piece struct {
	start   int
	page    int
	heading string
}

func split(text string, secs []vault.Section) []piece {
	pieces := []piece{{start: 0}}
	for _, s := range secs {
		if s.CharStart >= 0 && s.CharStart < len(text) && utf8.RuneStart(text[s.CharStart]) {
			pieces = append(pieces, piece{s.CharStart, s.Page, s.Heading})
		}
	}
	sort.SliceStable(pieces, func(i, j int) bool { return pieces[i].start < pieces[j].start })
	// Of pieces starting at the same place, the last (a section, not the
	// lead-in) is kept.
	out := pieces[:0]
	for _, p := range pieces {
		if len(out) > 0 && out[len(out)-1].start == p.start {
			out[len(out)-1] = p
			continue
		}
		out = append(out, p)
	}
	return out
}

// byteAt is the byte offset n characters after byte offset from.
func byteAt(text string, from, n int) int {
	i := from
	for ; n > 0 && i < len(text); n-- {
		_, w := utf8.DecodeRuneInString(text[i:])
		i += w
	}
	return i
}

// cut moves a part's end back to a line break, or else a space, in its last
// quarter, so that a part does not end mid-word; limit is where the part
// must end at the latest (the end of the text or of the page).
func cut(text string, from, end, limit int) int {
	if end >= limit {
		return limit
	}
	floor := from + (end-from)*3/4
	for _, sep := range []string{"\n", " "} {
		if i := strings.LastIndex(text[floor:end], sep); i >= 0 {
			return floor + i + 1
		}
	}
	return end
}
