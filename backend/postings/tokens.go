package postings

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// nextToken finds the first token of s at or after byte i as FTS5's
// unicode61 tokenizer splits text: a token starts at a letter, a number or
// a private-use character and runs over those and the combining
// diacritics that follow. start is -1 when there is none. Only the spans
// matter: what FTS5 made of each token is read from its index (see
// build), so its folding rules need not be copied.
func nextToken(s string, i int) (start, end int) {
	start = -1
	for i < len(s) {
		tok, cont, size := classify(s, i)
		switch {
		case start < 0 && tok:
			start = i
		case start >= 0 && !tok && !cont:
			return start, i
		}
		i += size
	}
	if start < 0 {
		return -1, len(s)
	}
	return start, len(s)
}

// classify says whether the character at s[i] is a token character, or
// a diacritic that continues a token, and its size in bytes.
func classify(s string, i int) (tok, cont bool, size int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9', false, 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	tok = unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
	return tok, 0x300 <= r && r <= 0x331, size // FTS5 keeps these diacritics inside a token
}

// eachToken calls fn with the span of each token of s.
func eachToken(s string, fn func(start, end int)) {
	for i := 0; ; {
		start, end := nextToken(s, i)
		if start < 0 {
			return
		}
		fn(start, end)
		i = end
	}
}

// key is how a token is looked up: lower-cased, so that a query's
// "Cancer" finds what the text's "cancer" was indexed as. buf is scratch.
func key(buf []byte, tok string) []byte {
	buf = buf[:0]
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c >= utf8.RuneSelf {
			return append(buf[:0], strings.ToLower(tok)...)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf
}
