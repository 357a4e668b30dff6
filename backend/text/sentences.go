package text

import "strings"

// Sentences splits text into sentences: after . ! ? and a space when the
// next word starts with a capital or digit ("e.g. the" stays together), and
// at line breaks that end a unit (headings, list items, table rows). A line
// break inside a sentence, as wrapped text has ("He went up to Anna
// Pavlovna,\nand said"), joins the lines; a word hyphenated across one is
// mended.
func Sentences(text string) []string {
	var out []string
	for _, line := range unwrap(text) {
		start := 0
		for i := 0; i < len(line); i++ {
			if c := line[i]; c != '.' && c != '!' && c != '?' {
				continue
			}
			j := i + 1
			for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
			if j == i+1 || j == len(line) {
				continue
			}
			if r := line[j]; !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= 0x80) {
				continue
			}
			if s := strings.TrimSpace(line[start : i+1]); s != "" {
				out = append(out, s)
			}
			start, i = j, j-1
		}
		if rest := strings.TrimSpace(line[start:]); rest != "" {
			out = append(out, rest)
		}
	}
	return out
}

// unwrap joins the lines of wrapped text: a line continues on the next when
// it ends inside a sentence (no closing punctuation, or a comma) and the
// next starts in lower case, or when it ends in a hyphen before a lower-case
// letter (the hyphen goes). Blank lines, list items and table rows stay
// their own lines.
func unwrap(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if n := len(out); n > 0 && continues(out[n-1], line) {
			prev := out[n-1]
			if strings.HasSuffix(prev, "-") && !strings.HasSuffix(prev, "--") {
				out[n-1] = prev[:len(prev)-1] + strings.TrimSpace(line)
			} else {
				out[n-1] = prev + " " + strings.TrimSpace(line)
			}
			continue
		}
		out = append(out, line)
	}
	return out
}

func continues(prev, next string) bool {
	next = strings.TrimLeft(next, " \t")
	if prev == "" || next == "" {
		return false
	}
	switch prev[len(prev)-1] {
	case '.', '!', '?', ':', ';', '|':
		return false
	}
	c := next[0]
	if c >= 'a' && c <= 'z' {
		return true
	}
	if prev[len(prev)-1] == ',' && c >= '0' && c <= '9' {
		return true // "delivered on January 23,\n2023."
	}
	// A capital after a long line is wrapped prose ("perpetrated by that\n
	// Antichrist"); a short line before it is a heading or a label.
	return c >= 'A' && c <= 'Z' && len(prev) >= 50 && !strings.HasPrefix(strings.TrimSpace(prev), "#")
}
