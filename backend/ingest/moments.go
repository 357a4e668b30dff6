package ingest

import (
	"strings"
	"unicode/utf8"

	"github.com/hoardvault/hoard/backend/audio"
	"github.com/hoardvault/hoard/backend/extract"
	"github.com/hoardvault/hoard/backend/text"
)

// segmentMarks finds each of a segment's timed words in its text (which
// starts at offset base in the document): the word's place and time. A
// segment without word times is one mark, at its start.
func segmentMarks(s audio.Segment, base int) []extract.Mark {
	var out []extract.Mark
	pos := 0
	for _, w := range s.Words {
		i, n := wordAt(s.Text[pos:], w.Text)
		if i < 0 {
			continue // not in the text as written (the engine's spelling differs)
		}
		out = append(out, extract.Mark{Offset: base + pos + i, Start: w.Start, End: w.End})
		pos += i + n
	}
	if len(out) == 0 || out[0].Offset > base {
		// The segment's start is known even where its first word's is not.
		first := extract.Mark{Offset: base, Start: s.Start, End: s.End}
		if len(out) > 0 {
			first.End = max(first.Start, out[0].Start)
		}
		out = append([]extract.Mark{first}, out...)
	}
	return out
}

// wordAt is where word first occurs in seg as a whole word, and how long
// it is there, ignoring case and the punctuation an engine may leave on or
// off a word; -1 if nowhere.
func wordAt(seg, word string) (int, int) {
	core := strings.TrimFunc(word, func(r rune) bool { return !text.IsWordRune(r) })
	if core == "" {
		return -1, 0
	}
	hay := seg
	if lt := strings.ToLower(seg); len(lt) == len(seg) {
		// Lowered only where that keeps the byte offsets.
		hay, core = lt, strings.ToLower(core)
	}
	for from := 0; from < len(hay); {
		i := strings.Index(hay[from:], core)
		if i < 0 {
			return -1, 0
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(hay[:i])
		after, _ := utf8.DecodeRuneInString(hay[i+len(core):])
		if (i == 0 || !text.IsWordRune(before)) && (i+len(core) == len(hay) || !text.IsWordRune(after)) {
			return i, len(core)
		}
		from = i + 1
	}
	return -1, 0
}
