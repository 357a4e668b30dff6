package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

var ligatures = strings.NewReplacer(
	"\uFB00", "ff", "\uFB01", "fi", "\uFB02", "fl", "\uFB03", "ffi", "\uFB04", "ffl", "\uFB05", "st", "\uFB06", "st",
	"\u00AD", "", // soft hyphen
	"\u00A0", " ", "\u2007", " ", "\u202F", " ",
	"\r\n", "\n", "\r", "\n",
	"\x00", "",
)

// NormalizeText replaces ligatures and odd spaces, and removes control
// characters other than tab, newline and form feed.
func NormalizeText(s string) string {
	s = ligatures.Replace(s)
	if !strings.ContainsFunc(s, isStrayControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isStrayControl(r) {
			return -1
		}
		return r
	}, s)
}

func isStrayControl(r rune) bool {
	return r < 0x20 && r != '\n' && r != '\t' && r != '\f' || r == 0x7f
}

// ReflowLines joins the lines of a layout-broken paragraph: a word hyphenated
// across a line end is mended, other line ends become a space, so no two words
// are glued and no word is split. Blank lines stay paragraph breaks.
func ReflowLines(block string) string {
	lines := strings.Split(block, "\n")
	var sb strings.Builder
	for i, ln := range lines {
		ln = strings.TrimRight(ln, " \t")
		if i > 0 {
			prev := sb.String()
			switch {
			case strings.TrimSpace(ln) == "":
				continue
			case hyphenBreak(prev, strings.TrimLeft(ln, " \t")):
				s := strings.TrimSuffix(prev, "-")
				sb.Reset()
				sb.WriteString(s)
				ln = strings.TrimLeft(ln, " \t")
			case len(prev) > 0:
				sb.WriteByte(' ')
				ln = strings.TrimLeft(ln, " \t")
			}
		}
		sb.WriteString(ln)
	}
	return strings.TrimSpace(sb.String())
}

// hyphenBreak reports whether prev ends in letter+"-" and next starts with a
// lower-case letter: the usual shape of a word broken by layout.
func hyphenBreak(prev, next string) bool {
	if !strings.HasSuffix(prev, "-") || len(prev) < 2 {
		return false
	}
	before, _ := utf8.DecodeLastRuneInString(prev[:len(prev)-1])
	first, _ := utf8.DecodeRuneInString(next)
	return unicode.IsLetter(before) && unicode.IsLower(first)
}

// Paragraphs splits text at blank lines and reflows each paragraph.
func Paragraphs(text string) []string {
	var out []string
	for _, p := range splitBlank(text) {
		if r := ReflowLines(p); r != "" {
			out = append(out, r)
		}
	}
	return out
}

func splitBlank(text string) []string {
	var out []string
	var cur []string
	for _, ln := range strings.Split(text, "\n") {
		if strings.TrimSpace(ln) == "" {
			if len(cur) > 0 {
				out = append(out, strings.Join(cur, "\n"))
				cur = cur[:0]
			}
			continue
		}
		cur = append(cur, ln)
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, "\n"))
	}
	return out
}
