package chunk

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSplit(t *testing.T) {
	long := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 100)
	words := func(n int) string { return strings.Repeat("The quick brown fox jumps over the lazy dog. ", n/10) }
	cases := []struct {
		name     string
		text     string
		sections []Section
		opt      Options
		minN     int
		maxN     int
	}{
		{"empty", "", nil, DefaultOptions(), 0, 0},
		{"one short", "Hello world.", nil, DefaultOptions(), 1, 1},
		{"short section kept whole", words(400), nil, DefaultOptions(), 1, 1},
		{"section over the whole limit is cut", words(600), nil, DefaultOptions(), 3, 4},
		{"short text over two pages is cut by page", words(400), []Section{{Page: 1, Start: 0, End: len(words(200))}, {Page: 2, Start: len(words(200)), End: len(words(400))}}, DefaultOptions(), 2, 3},
		{"short transcript keeps its moments", words(400), []Section{{Start: 0, End: len(words(400)), From: time.Second, To: time.Minute}}, DefaultOptions(), 2, 3},
		{"long one section", long, []Section{{Page: 1, Start: 0, End: len(long)}}, Options{TargetTokens: 64, OverlapTokens: 16}, 12, 30},
		{"giant word", strings.Repeat("x", 5000), nil, Options{TargetTokens: 50, OverlapTokens: 10}, 2, 100},
		{"cjk", strings.Repeat("わたくしといふ現象は", 100), nil, Options{TargetTokens: 100, OverlapTokens: 10}, 9, 12},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chunks := Split(tc.text, tc.sections, tc.opt)
			if len(chunks) < tc.minN || len(chunks) > tc.maxN {
				t.Fatalf("got %d chunks, want %d..%d", len(chunks), tc.minN, tc.maxN)
			}
			covered := make([]bool, len(tc.text))
			for _, c := range chunks {
				if c.Text != tc.text[c.Start:c.End] {
					t.Fatalf("chunk text does not match its offsets")
				}
				if n := Tokens(c.Text); n > max(tc.opt.TargetTokens, tc.opt.WholeTokens)+1 {
					t.Errorf("chunk of %d tokens, target %d", n, tc.opt.TargetTokens)
				}
				for i := c.Start; i < c.End; i++ {
					covered[i] = true
				}
			}
			for i, ok := range covered {
				if !ok && !isSpace(tc.text[i]) {
					t.Fatalf("byte %d (%q) is in no chunk", i, tc.text[i])
				}
			}
		})
	}
}

func TestSplitKeepsPagesAndHeadings(t *testing.T) {
	var sb strings.Builder
	var secs []Section
	add := func(page int, heading []string, body string) {
		start := sb.Len()
		sb.WriteString(body)
		secs = append(secs, Section{Page: page, Heading: heading, Start: start, End: sb.Len()})
		sb.WriteString("\n\n")
	}
	for p := 1; p <= 3; p++ {
		add(p, []string{"Intro"}, fmt.Sprintf("Page %d text. ", p)+strings.Repeat("Words on this page. ", 20))
	}
	add(4, []string{"Intro", "Details"}, "Detail text on page four.")
	text := sb.String()
	chunks := Split(text, secs, Options{TargetTokens: 60, OverlapTokens: 8})
	last := chunks[len(chunks)-1]
	if last.PageStart != 4 || strings.Join(last.Heading, ">") != "Intro>Details" {
		t.Fatalf("last chunk: pages %d-%d heading %v", last.PageStart, last.PageEnd, last.Heading)
	}
	spans := false
	for _, c := range chunks {
		if c.PageStart == 0 {
			t.Fatalf("chunk without page: %q", c.Text)
		}
		if strings.Contains(c.Text, "Page 2 text") && c.PageStart > 2 || strings.Contains(c.Text, "Page 2 text") && c.PageEnd < 2 {
			t.Fatalf("chunk with page 2 text has range %d-%d", c.PageStart, c.PageEnd)
		}
		if c.PageEnd > c.PageStart {
			spans = true
		}
	}
	if !spans {
		t.Errorf("expected a chunk spanning a page break")
	}
	// Overlap: consecutive chunks of one section share text.
	if chunks[1].Start >= chunks[0].End {
		t.Errorf("no overlap between first chunks: %d >= %d", chunks[1].Start, chunks[0].End)
	}
}

// A transcript's passages end at the longest pause (or change of speaker)
// that leaves them at least half full, and their times and marks come
// from the words; a cut at a real pause starts the next passage clean.
func TestTranscriptBreaksAtPauses(t *testing.T) {
	sentence := "Alpha bravo charlie delta echo foxtrot golf hotel india." // 12 tokens: four fill a chunk
	const n = 10
	type timeline struct {
		pauseAfter map[int]time.Duration // default 300 ms
		speakers   map[int]string        // sentence → speaker, from there on
	}
	build := func(tl timeline, words bool) (string, []Section, []int) {
		var sb strings.Builder
		var secs []Section
		var starts []int
		at := time.Duration(0)
		speaker := ""
		for k := 0; k < n; k++ {
			if k > 0 {
				sb.WriteString("\n")
			}
			if s, ok := tl.speakers[k]; ok {
				speaker = s
			}
			start := sb.Len()
			starts = append(starts, start)
			sb.WriteString(sentence)
			sec := Section{Start: start, End: sb.Len(), From: at, Speaker: speaker}
			off := start
			for _, w := range strings.Fields(sentence) {
				if words {
					sec.Marks = append(sec.Marks, Mark{Offset: off, Start: at, End: at + 250*time.Millisecond})
				}
				off += len(w) + 1
				at += 300 * time.Millisecond
			}
			sec.To = at
			if !words {
				sec.Marks = []Mark{{Offset: start, Start: sec.From, End: sec.To}}
			}
			secs = append(secs, sec)
			pause := 300 * time.Millisecond
			if p, ok := tl.pauseAfter[k]; ok {
				pause = p
			}
			at += pause
		}
		return sb.String(), secs, starts
	}
	opt := Options{TargetTokens: 50, OverlapTokens: 12, WholeTokens: 50}
	cases := []struct {
		name  string
		tl    timeline
		words bool
		want  [][2]int // sentence ranges [first, last] of each chunk
	}{
		{"longest pause wins over the fullest cut", timeline{pauseAfter: map[int]time.Duration{2: 2 * time.Second, 6: 1500 * time.Millisecond}}, true,
			[][2]int{{0, 2}, {3, 6}, {7, 9}}},
		{"segment times alone", timeline{pauseAfter: map[int]time.Duration{2: 2 * time.Second, 6: 1500 * time.Millisecond}}, false,
			[][2]int{{0, 2}, {3, 6}, {7, 9}}},
		{"a pause that leaves too little is passed over", timeline{pauseAfter: map[int]time.Duration{0: 3 * time.Second}}, true,
			[][2]int{{0, 3}, {3, 6}, {6, 9}}},
		{"a change of speaker", timeline{speakers: map[int]string{0: "A", 3: "B"}}, true,
			[][2]int{{0, 2}, {3, 6}, {6, 9}}},
		{"even pauses: full passages with overlap", timeline{}, true,
			[][2]int{{0, 3}, {3, 6}, {6, 9}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text, secs, starts := build(tc.tl, tc.words)
			chunks := Split(text, secs, opt)
			var got [][2]int
			for _, c := range chunks {
				first, last := -1, -1
				for k, s := range starts {
					if s == c.Start {
						first = k
					}
					if s+len(sentence) == c.End {
						last = k
					}
				}
				got = append(got, [2]int{first, last})
				if len(c.Marks) == 0 || c.Marks[0].Offset != c.Start || c.From != c.Marks[0].Start || c.To <= c.From {
					t.Errorf("chunk %q: marks %v, from %s to %s", c.Text, c.Marks, c.From, c.To)
				}
				if first >= 0 && c.From != secs[first].From {
					t.Errorf("chunk from sentence %d starts at %s, the sentence at %s", first, c.From, secs[first].From)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("chunks cover sentences %v, want %v", got, tc.want)
			}
		})
	}
}

// A chunk that starts inside a segment timed only as a whole is covered
// by the segment's mark: its first words are cited at the segment's start.
func TestTranscriptMarksCoverChunkStart(t *testing.T) {
	text := strings.Repeat("One two three four five six seven eight nine. ", 12)
	sec := Section{Start: 0, End: len(text), From: 5 * time.Second, To: 65 * time.Second,
		Marks: []Mark{{Offset: 0, Start: 5 * time.Second, End: 65 * time.Second}}}
	chunks := Split(text, []Section{sec}, Options{TargetTokens: 40, OverlapTokens: 0, WholeTokens: 40})
	if len(chunks) < 2 {
		t.Fatalf("%d chunks", len(chunks))
	}
	for _, c := range chunks {
		if len(c.Marks) != 1 || c.Marks[0].Offset != c.Start || c.Marks[0].Start != 5*time.Second || c.From != 5*time.Second {
			t.Fatalf("chunk at %d: marks %v from %s", c.Start, c.Marks, c.From)
		}
	}
}
