package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Mark is a moment in a transcript chunk: the word starting at character
// Char of the chunk's text is spoken MS milliseconds into the recording.
type Mark struct {
	Char int
	MS   int64
}

// MarshalJSON writes a mark as a pair, [char, ms]: an export carries one
// per word, so the names would outweigh the numbers.
func (m Mark) MarshalJSON() ([]byte, error) { return json.Marshal([2]int64{int64(m.Char), m.MS}) }

// UnmarshalJSON reads a [char, ms] pair.
func (m *Mark) UnmarshalJSON(b []byte) error {
	var p [2]int64
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("time mark: %w", err)
	}
	m.Char, m.MS = int(p[0]), p[1]
	return nil
}

// marksFormat leads the encoded marks, so a later encoding can be told apart.
const marksFormat = 1

var errBadMarks = errors.New("corrupt time marks")

// EncodeMarks packs marks (in text order) as varint deltas: a few bytes a
// word. Nil marks encode as nil (a NULL column).
func EncodeMarks(marks []Mark) []byte {
	if len(marks) == 0 {
		return nil
	}
	out := make([]byte, 1, 1+len(marks)*4)
	out[0] = marksFormat
	var char int64
	var ms int64
	for _, m := range marks {
		out = binary.AppendUvarint(out, uint64(max(0, int64(m.Char)-char)))
		out = binary.AppendVarint(out, m.MS-ms) // times may step back a little
		char, ms = max(char, int64(m.Char)), m.MS
	}
	return out
}

// DecodeMarks reads what EncodeMarks wrote.
func DecodeMarks(b []byte) ([]Mark, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] != marksFormat {
		return nil, fmt.Errorf("%w: format %d", errBadMarks, b[0])
	}
	var out []Mark
	var char, ms int64
	for i := 1; i < len(b); {
		dc, n := binary.Uvarint(b[i:])
		if n <= 0 {
			return nil, errBadMarks
		}
		i += n
		dm, n := binary.Varint(b[i:])
		if n <= 0 {
			return nil, errBadMarks
		}
		i += n
		char += int64(dc)
		ms += dm
		out = append(out, Mark{Char: int(char), MS: ms})
	}
	return out, nil
}

// MomentAt is when the word at character char of a chunk is spoken: the
// time of the last mark at or before it; ok is false when no mark is.
func MomentAt(marks []Mark, char int) (ms int64, ok bool) {
	i := sort.Search(len(marks), func(i int) bool { return marks[i].Char > char })
	if i == 0 {
		return 0, false
	}
	return marks[i-1].MS, true
}
