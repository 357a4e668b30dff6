// Package script answers questions about writing systems that several
// stages ask (extraction, chunking, search) and must answer alike.
package script

import "unicode"

// LatinShare is the share of the first n letters of the texts, read one
// after the other, that are Latin (1 when they have none).
func LatinShare(n int, texts ...string) float64 {
	letters, latin := 0, 0
	for _, s := range texts {
		for _, r := range s {
			if letters == n {
				break
			}
			if r < 0x80 {
				if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
					letters++
					latin++
				}
				continue
			}
			if unicode.IsLetter(r) {
				letters++
				if unicode.Is(unicode.Latin, r) {
					latin++
				}
			}
		}
	}
	if letters == 0 {
		return 1
	}
	return float64(latin) / float64(letters)
}

// IsCJK reports a Han, kana or Hangul character: scripts written without
// spaces between words, where each character counts as a token.
func IsCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}
