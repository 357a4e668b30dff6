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
