package extract

import (
	"slices"
	"strings"
)

// builder accumulates text and cuts it into sections whenever the page or the
// heading path changes.
type builder struct {
	sb       strings.Builder
	sections []Section
	page     int
	heading  []string
	start    int
	pages    int
}

func (b *builder) flush() {
	end := b.sb.Len()
	if end > b.start {
		b.sections = append(b.sections, Section{Page: b.page, Heading: slices.Clone(b.heading), Start: b.start, End: end})
	}
	b.start = end
}

// setPage starts a new page (1-based).
func (b *builder) setPage(p int) {
	if p == b.page {
		return
	}
	b.flush()
	b.page = p
	if p > b.pages {
		b.pages = p
	}
}

// setHeading sets the heading at level (1-based), dropping deeper levels.
func (b *builder) setHeading(level int, title string) {
	title = strings.Join(strings.Fields(title), " ")
	if title == "" {
		return
	}
	b.flush()
	if level < 1 {
		level = 1
	}
	if level-1 < len(b.heading) {
		b.heading = b.heading[:level-1]
	}
	for len(b.heading) < level-1 {
		b.heading = append(b.heading, "")
	}
	b.heading = append(b.heading, title)
}

// paragraph appends a block of text followed by a blank line.
func (b *builder) paragraph(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	b.sb.WriteString(s)
	b.sb.WriteString("\n\n")
}

func (b *builder) len() int { return b.sb.Len() }

func (b *builder) document() *Document {
	b.flush()
	text := b.sb.String()
	// Drop the trailing paragraph separator so sections end on text.
	trimmed := strings.TrimRight(text, "\n")
	secs := b.sections[:0]
	for _, s := range b.sections {
		if s.End > len(trimmed) {
			s.End = len(trimmed)
		}
		if s.Start < s.End {
			secs = append(secs, s)
		}
	}
	for i := range secs {
		// Leading blank lines inside a section carry no text.
		for secs[i].Start < secs[i].End && (trimmed[secs[i].Start] == '\n') {
			secs[i].Start++
		}
	}
	return &Document{Text: trimmed, Sections: secs, Pages: b.pages}
}
