package ingest

import (
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/audio"
)

// Marks follow the words of a segment's text, whether the engine wrote a
// word as the text does or without its punctuation or in another case; a
// segment without word times is one mark at its start.
func TestSegmentMarks(t *testing.T) {
	ms := func(n int) audio.Word { return audio.Word{Start: msd(n), End: msd(n + 200)} }
	word := func(text string, n int) audio.Word { w := ms(n); w.Text = text; return w }
	cases := []struct {
		name string
		seg  audio.Segment
		want [][2]int // offset, start ms
	}{
		{"as written", audio.Segment{Start: msd(1000), End: msd(3000), Text: "Order the units.",
			Words: []audio.Word{word("Order", 1000), word("the", 1400), word("units.", 1700)}}, [][2]int{{10, 1000}, {16, 1400}, {20, 1700}}},
		{"no punctuation, other case", audio.Segment{Start: msd(1000), End: msd(3000), Text: "Next topic: the Board.",
			Words: []audio.Word{word("next", 1100), word("topic", 1300), word("the", 1600), word("board", 1800)}}, [][2]int{{10, 1100}, {15, 1300}, {22, 1600}, {26, 1800}}},
		{"a word not in the text", audio.Segment{Start: msd(500), End: msd(3000), Text: "a cat sat",
			Words: []audio.Word{word("the", 500), word("cat", 900), word("sat", 1300)}}, [][2]int{{10, 500}, {12, 900}, {16, 1300}}},
		{"a short word is not found inside another", audio.Segment{Start: msd(0), End: msd(3000), Text: "planning a move",
			Words: []audio.Word{word("a", 700), word("move", 900)}}, [][2]int{{10, 0}, {19, 700}, {21, 900}}},
		{"no word times", audio.Segment{Start: msd(4200), End: msd(7000), Text: "The lease ends."}, [][2]int{{10, 4200}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got [][2]int
			for _, m := range segmentMarks(tc.seg, 10) {
				got = append(got, [2]int{m.Offset, int(m.Start.Milliseconds())})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("marks %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("marks %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func msd(n int) time.Duration { return time.Duration(n) * time.Millisecond }
